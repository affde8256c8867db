import { type Kysely, type SqlBool, sql } from 'kysely';
import { cstDay, dayMinus } from '../dimensions';
import {
  type AnalystFilters,
  amongMany,
  and,
  anyOf,
  equals,
  hasTargetGroup,
  inPeriod,
  inRegion,
  num,
} from './filters';

export type CaseloadBand = '0-9' | '10-19' | '20-29' | '30+';

export interface WorkerWorkload {
  workerId: string;
  organisationId: string;
  role: string;
  certification: string;
  activeCases: number;
  caseloadBand: CaseloadBand;
  /** Visits on the last 7 (30) CST days, today included. */
  visitsLast7Days: number;
  visitsLast30Days: number;
  /** Open cases whose last visit (or intake) is older than their risk level's cadence: high 7, medium 30, low 90 days. */
  overdueVisits: { high: number; medium: number; low: number; total: number };
  openReferrals: number;
  /** Supervision received as supervisee, and given as supervisor, in the period. */
  supervisionMinutes: number;
  supervisionMinutesGiven: number;
}

export const VISIT_CADENCE_DAYS = { high: 7, medium: 30, low: 90 } as const;

export function caseloadBand(activeCases: number): CaseloadBand {
  if (activeCases < 10) return '0-9';
  if (activeCases < 20) return '10-19';
  if (activeCases < 30) return '20-29';
  return '30+';
}

/**
 * Workloads per registered worker. Organisation narrows the workers; region, target group
 * and project narrow the cases counted (and list only workers with such cases); the period
 * narrows supervision. Visit windows are relative to `now`.
 */
export async function getWorkerWorkloads(
  db: Kysely<any>,
  filters: AnalystFilters & { now: Date },
): Promise<WorkerWorkload[]> {
  const today = cstDay(filters.now);
  const since7 = dayMinus(today, 6);
  const since30 = dayMinus(today, 29);
  // Cut-offs worked out here: `timestamptz - interval` in the query was evaluated for every case.
  const overdueBefore = (risk: keyof typeof VISIT_CADENCE_DAYS) =>
    new Date(filters.now.getTime() - VISIT_CADENCE_DAYS[risk] * 86_400_000).toISOString();
  const caseScoped =
    filters.region !== undefined || filters.targetGroup !== undefined || filters.projectId !== undefined;
  const overdue = (risk: keyof typeof VISIT_CADENCE_DAYS) =>
    sql<number>`count(*) filter (where status = 'open' and risk_level = ${risk} and coalesce(last_visit_at, opened_at) < ${overdueBefore(risk)}::timestamptz)::int`;

  const caseCounts = (workerIds: readonly string[] | undefined) =>
    db
      .selectFrom('case_summary')
      .where(
        and([
          anyOf('worker_id', workerIds),
          inRegion('community_code', filters.region),
          hasTargetGroup('target_mask', filters.targetGroup),
          equals('project_id', filters.projectId),
        ]),
      )
      .select([
        'worker_id',
        sql<number>`count(*)::int`.as('cases'),
        sql<number>`count(*) filter (where status = 'open')::int`.as('active'),
        overdue('high').as('overdue_high'),
        overdue('medium').as('overdue_medium'),
        overdue('low').as('overdue_low'),
        sql<number>`sum(referrals_open)::int`.as('open_referrals'),
      ])
      .groupBy('worker_id');
  const workersOf = (workerIds: readonly string[] | undefined) =>
    db
      .selectFrom('worker')
      .selectAll()
      .where(and([equals('organisation_id', filters.organisationId), anyOf('worker_id', workerIds)]))
      .orderBy('worker_id')
      .execute();

  // Every other table is narrowed by an array of the listed workers' ids: an `in (select …)`
  // over the cases made the planner scan every case and took seconds at scale. Without an
  // organisation, the cases in scope decide who is listed: their counts come with the
  // workers, in one statement.
  let workers: Array<Record<string, any>>;
  let cases: Array<Record<string, any>> | undefined;
  if (filters.organisationId === undefined && caseScoped) {
    cases = await db
      .selectFrom(caseCounts(undefined).as('c'))
      .innerJoin('worker as w', 'w.worker_id', 'c.worker_id')
      .selectAll('c')
      .select(['w.organisation_id', 'w.role', 'w.certification'])
      .orderBy('c.worker_id')
      .execute();
    workers = cases;
  } else {
    workers = await workersOf(undefined);
  }
  if (workers.length === 0) return [];
  const ids =
    filters.organisationId === undefined && !caseScoped
      ? undefined
      : workers.map((w) => w.worker_id as string);

  const [caseRows, visits, received, given] = await Promise.all([
    cases ?? caseCounts(ids).execute(),
    db
      .selectFrom('counted_entry')
      .where(
        and([
          sql<SqlBool>`kind = 'visit' and not voided and day >= ${since30}::date and day <= ${today}::date`,
          amongMany('worker_id', ids),
          // The visits of the cases in scope, as the caseload counts only those cases.
          inRegion('community_code', filters.region),
          hasTargetGroup('target_mask', filters.targetGroup),
          equals('project_id', filters.projectId),
        ]),
      )
      .select([
        'worker_id',
        sql<number>`count(*) filter (where day >= ${since7}::date)::int`.as('v7'),
        sql<number>`count(*)::int`.as('v30'),
      ])
      .groupBy('worker_id')
      .execute(),
    db
      .selectFrom('supervision_daily')
      .where(and([inPeriod('day', filters), amongMany('supervisee_id', ids)]))
      .select(['supervisee_id as worker_id', sql<number>`sum(minutes)::int`.as('minutes')])
      .groupBy('supervisee_id')
      .execute(),
    db
      .selectFrom('supervision_daily')
      .where(and([inPeriod('day', filters), amongMany('supervisor_id', ids)]))
      .select(['supervisor_id as worker_id', sql<number>`sum(minutes)::int`.as('minutes')])
      .groupBy('supervisor_id')
      .execute(),
  ]);

  const caseBy = new Map(caseRows.map((row) => [row.worker_id as string, row]));
  const visitBy = new Map(visits.map((row) => [row.worker_id as string, row]));
  const receivedBy = new Map(received.map((row) => [row.worker_id as string, num(row.minutes)]));
  const givenBy = new Map(given.map((row) => [row.worker_id as string, num(row.minutes)]));

  return workers
    .filter((worker) => !caseScoped || num(caseBy.get(worker.worker_id)?.cases) > 0)
    .map((worker) => {
      const id = worker.worker_id as string;
      const c = caseBy.get(id);
      const v = visitBy.get(id);
      const high = num(c?.overdue_high);
      const medium = num(c?.overdue_medium);
      const low = num(c?.overdue_low);
      const activeCases = num(c?.active);
      return {
        workerId: id,
        organisationId: worker.organisation_id,
        role: worker.role,
        certification: worker.certification,
        activeCases,
        caseloadBand: caseloadBand(activeCases),
        visitsLast7Days: num(v?.v7),
        visitsLast30Days: num(v?.v30),
        overdueVisits: { high, medium, low, total: high + medium + low },
        openReferrals: num(c?.open_referrals),
        supervisionMinutes: receivedBy.get(id) ?? 0,
        supervisionMinutesGiven: givenBy.get(id) ?? 0,
      };
    });
}
