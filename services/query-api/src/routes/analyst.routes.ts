import { DomainError } from '@fengcheng/domain';
import { type HttpApp, problemResponses, requireRole } from '@fengcheng/http';
import {
  getProjectOutcomes,
  getRegionSummary,
  getServiceInstances,
  getWorkerWorkloads,
} from '@fengcheng/read-models';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CSV_CONTENT_TYPE, toCsv } from '../csv';
import { ensurePosition, type QueryRoutesDeps } from '../deps';
import { analystFilters, analystQuery, GROUP_BY, RegionPrefixSchema } from '../filters';
import {
  ProjectOutcomesResponse,
  RegionSummaryResponse,
  ServiceInstancesResponse,
  WorkerWorkloadsResponse,
} from './analyst.schemas';

/** Analysts read projections only: they hold codes and counts, never a client's personal data. */
export function registerAnalystRoutes(app: HttpApp, deps: QueryRoutesDeps): void {
  const r = app;
  const analyst = requireRole('analyst', 'admin');
  const now = deps.clock ?? (() => new Date());

  r.get(
    '/v1/stats/service-instances',
    {
      onRequest: analyst,
      schema: {
        tags: ['analyst'],
        summary: 'Service instances (服务人次), total and grouped',
        description:
          'Counts by the one rule: a visit 1, a group activity its attendees, a resource link 1; voided entries take theirs back.',
        querystring: analystQuery({ groupBy: z.enum(GROUP_BY).optional() }),
        response: { 200: jsonOrCsv(ServiceInstancesResponse), ...problemResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const { query } = request;
      await ensurePosition(deps, query.minPosition);
      const filters = analystFilters(query);
      const db = await deps.readModels();
      const result = await getServiceInstances(db, {
        ...filters,
        ...(query.groupBy ? { groupBy: query.groupBy } : {}),
      });
      if (wantsCsv(request, query.format)) {
        const rows = query.groupBy ? result.rows : [{ key: 'total', serviceInstances: result.total }];
        return sendCsv(reply, 'service-instances', toCsv(rows.map(plain), ['key', 'serviceInstances']));
      }
      return { filters, groupBy: query.groupBy ?? null, total: result.total, rows: result.rows };
    },
  );

  r.get(
    '/v1/projects/outcomes',
    {
      onRequest: analyst,
      schema: {
        tags: ['analyst'],
        summary: 'Per-project outcomes',
        querystring: analystQuery(),
        response: { 200: jsonOrCsv(ProjectOutcomesResponse), ...problemResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const { query } = request;
      await ensurePosition(deps, query.minPosition);
      const filters = analystFilters(query);
      const rows = await getProjectOutcomes(await deps.readModels(), filters);
      if (wantsCsv(request, query.format)) return sendCsv(reply, 'project-outcomes', toCsv(rows.map(plain)));
      return { filters, rows };
    },
  );

  r.get(
    '/v1/workers/workloads',
    {
      onRequest: analyst,
      schema: {
        tags: ['analyst'],
        summary: 'Per-worker workloads',
        description:
          "Caseload bands, visits in the last 7 and 30 days and overdue cases are as of now. A project, region or target-group filter counts only the cases it keeps, and their visits; an organisation filter lists that organisation's workers.",
        querystring: analystQuery(),
        response: { 200: jsonOrCsv(WorkerWorkloadsResponse), ...problemResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const { query } = request;
      await ensurePosition(deps, query.minPosition);
      const filters = analystFilters(query);
      const at = now();
      const rows = await getWorkerWorkloads(await deps.readModels(), { ...filters, now: at });
      if (wantsCsv(request, query.format)) return sendCsv(reply, 'worker-workloads', toCsv(rows.map(plain)));
      return { filters, now: at.toISOString(), rows };
    },
  );

  r.get(
    '/v1/regions/:code/summary',
    {
      onRequest: analyst,
      schema: {
        tags: ['analyst'],
        summary: 'Summary of a region at any of the four levels',
        params: z.strictObject({ code: RegionPrefixSchema }),
        querystring: analystQuery(),
        response: { 200: jsonOrCsv(RegionSummaryResponse), ...problemResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const { query, params } = request;
      await ensurePosition(deps, query.minPosition);
      const filters = analystFilters(query);
      const code = params.code.padEnd(12, '0');
      const summary = await getRegionSummary(await deps.readModels(), code, filters);
      if (!summary) throw new DomainError('UNKNOWN_REGION', `no region ${code} in the read models`);
      if (wantsCsv(request, query.format)) {
        return sendCsv(reply, `region-${code}`, toCsv([plain(summary)]));
      }
      return { filters, summary };
    },
  );
}

const CsvText = z.string().meta({
  description:
    'RFC 4180 CSV led by a UTF-8 byte-order mark: a header row, then the rows, nested figures as dotted columns (closedByReason.moved)',
});

/** The 200 of an analyst route as served: JSON, or CSV when asked for (see `wantsCsv`). */
function jsonOrCsv<T extends z.ZodType>(json: T) {
  return {
    description:
      'JSON by default; CSV with `format=csv`, or with `Accept: text/csv` when no `format` is given',
    content: { 'application/json': { schema: json }, 'text/csv': { schema: CsvText } },
  };
}

function wantsCsv(request: FastifyRequest, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return accept.includes('text/csv') && !accept.includes('application/json');
}

function sendCsv(reply: FastifyReply, name: string, csv: string) {
  return reply
    .type(CSV_CONTENT_TYPE)
    .header('content-disposition', `inline; filename="${name}.csv"`)
    .send(csv);
}

/** A typed row as the CSV writer takes it. */
function plain(row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row));
}
