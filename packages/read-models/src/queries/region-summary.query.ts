import { levelOf, type RegionLevel } from '@fengcheng/domain';
import { type Kysely, sql } from 'kysely';
import { regionPrefix } from '../dimensions';
import {
  type AnalystFilters,
  and,
  equals,
  hasTargetGroup,
  inPeriod,
  inRegion,
  notAfterPeriod,
  num,
} from './filters';
import { sumServiceInstances } from './service-instances.query';

export interface RegionSummary {
  code: string;
  level: RegionLevel;
  /** Cases open now (opened by the end of the period). */
  casesOpen: number;
  /** Cases closed (in the period). */
  casesClosed: number;
  serviceInstances: number;
  /** Workers of organisations based in the region. */
  workers: number;
  /** Organisations based in the region. */
  organisations: number;
}

const FILTER_KEYS = ['from', 'to', 'targetGroup', 'projectId', 'organisationId', 'service'] as const;

/**
 * A region's figures at any of the four levels; null when nothing was ever recorded there.
 * Unfiltered, it is one row of the region-summaries projection; filtered, it is summed from
 * the case summaries, service-instance facts and registry.
 */
export async function getRegionSummary(
  db: Kysely<any>,
  code: string,
  filters: AnalystFilters = {},
): Promise<RegionSummary | null> {
  const row = await db
    .selectFrom('region_summary')
    .selectAll()
    .where('region_code', '=', code)
    .executeTakeFirst();
  if (!row) return null;
  const level = levelOf(code);
  const filtered = FILTER_KEYS.some((key) => filters[key] !== undefined);
  if (!filtered) {
    return {
      code,
      level,
      casesOpen: num(row.cases_open),
      casesClosed: num(row.cases_closed),
      serviceInstances: num(row.service_instances),
      workers: num(row.workers),
      organisations: num(row.organisations),
    };
  }

  const prefix = regionPrefix(code);
  const [cases, facts, workers, organisations] = await Promise.all([
    db
      .selectFrom('case_summary')
      .where(
        and([
          inRegion('community_code', prefix),
          hasTargetGroup('target_mask', filters.targetGroup),
          equals('project_id', filters.projectId),
          equals('organisation_id', filters.organisationId),
        ]),
      )
      .select([
        sql<number>`count(*) filter (where status = 'open' and ${notAfterPeriod('opened_day', filters)})::int`.as(
          'open',
        ),
        sql<number>`count(*) filter (where status = 'closed' and ${inPeriod('closed_day', filters)})::int`.as(
          'closed',
        ),
      ])
      .executeTakeFirst(),
    sumServiceInstances(db, { ...filters, region: prefix }),
    db
      .selectFrom('worker')
      .innerJoin('organisation', 'organisation.organisation_id', 'worker.organisation_id')
      .where(
        and([
          inRegion('organisation.region_code', prefix),
          equals('worker.organisation_id', filters.organisationId),
        ]),
      )
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst(),
    db
      .selectFrom('organisation')
      .where(and([inRegion('region_code', prefix), equals('organisation_id', filters.organisationId)]))
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst(),
  ]);
  return {
    code,
    level,
    casesOpen: num(cases?.open),
    casesClosed: num(cases?.closed),
    serviceInstances: facts,
    workers: num(workers?.n),
    organisations: num(organisations?.n),
  };
}
