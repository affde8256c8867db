import { DomainError, streamIds, UuidSchema } from '@fengcheng/domain';
import { type HttpApp, problemResponses, requireRole } from '@fengcheng/http';
import { auditStreamId, CASE_RECORD_READ } from '@fengcheng/privacy';
import { z } from 'zod';
import type { QueryRoutesDeps } from '../deps';

const AuditEntry = z.object({
  eventId: z.string(),
  position: z.string(),
  version: z.number(),
  recordedAt: z.string(),
  keyId: z.string(),
  role: z.string(),
  organisationId: z.string().nullable(),
  purpose: z.string().nullable(),
  route: z.string(),
  hash: z.string(),
});

const AuditResponse = z.object({
  caseId: z.string(),
  streamId: z.string(),
  entries: z.array(AuditEntry),
  verification: z.object({
    ok: z.boolean(),
    events: z.number(),
    brokenAt: z.number().optional(),
    reason: z.string().optional(),
  }),
});

/** `GET /v1/admin/audit?caseId=…`: who read a case's record, when, and why — for administrators. */
export function registerAuditRoutes(app: HttpApp, deps: QueryRoutesDeps): void {
  app.get(
    '/v1/admin/audit',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin'],
        summary: "A case's read trail: every history or state read, who made it and why",
        description:
          'The trail is a hash-chained stream (`audit-<caseId>`) in the event store, appended before each read returned its data; it is never changed.',
        querystring: z.strictObject({ caseId: UuidSchema }),
        response: { 200: AuditResponse, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const { caseId } = request.query;
      const streamId = auditStreamId(caseId);
      const { events, verification } = await deps.store.readVerifiedStream(streamId);
      if (events.length === 0 && (await deps.store.streamVersion(streamIds.case(caseId))) === 0) {
        throw new DomainError('CASE_NOT_FOUND', `no case ${caseId}`);
      }
      return {
        caseId,
        streamId,
        entries: events
          .filter((event) => event.type === CASE_RECORD_READ)
          .map((event) => {
            const data = event.data as Record<string, unknown>;
            return {
              eventId: event.eventId,
              position: event.position.toString(),
              version: event.version,
              recordedAt: event.recordedAt,
              keyId: String(data.keyId),
              role: String(data.role),
              organisationId: typeof data.organisationId === 'string' ? data.organisationId : null,
              purpose: typeof data.purpose === 'string' ? data.purpose : null,
              route: String(data.route),
              hash: event.hash,
            };
          }),
        verification: {
          ok: verification.ok,
          events: verification.events,
          ...(verification.ok ? {} : { brokenAt: verification.brokenAt, reason: verification.reason }),
        },
      };
    },
  );
}
