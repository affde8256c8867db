import { CLOSURE_REASONS } from '@fengcheng/domain';
import { type Kysely, sql } from 'kysely';
import {
  type AnalystFilters,
  and,
  anyOf,
  equals,
  hasTargetGroup,
  inPeriod,
  inRegion,
  notAfterPeriod,
  num,
  numOrNull,
  TRUE,
} from './filters';
import { getServiceInstances } from './service-instances.query';

export { CLOSURE_REASONS };
export type ClosureReason = (typeof CLOSURE_REASONS)[number];
const GOAL_SCORES = ['-2', '-1', '0', '1', '2'] as const;

export interface ProjectOutcome {
  projectId: string;
  name: string;
  organisationId: string;
  brand: string | null;
  fundingSource: string;
  /** Cases opened in the period. */
  casesOpened: number;
  /** Cases open now that were opened by the end of the period. */
  casesActive: number;
  /** Cases closed in the period, in total and by reason. */
  casesClosed: number;
  closedByReason: Record<ClosureReason, number>;
  /** Goal attainment (-2..+2) of the cases closed in the period. */
  goalAttainment: { mean: number | null; distribution: Record<'-2' | '-1' | '0' | '1' | '2', number> };
  /** Latest minus first assessment score (mean over need domains, 0-10), averaged over the cases assessed at least twice. */
  assessmentChange: { cases: number; meanDelta: number | null };
  /** Median days from intake to closure of the cases closed in the period. */
  medianCaseDurationDays: number | null;
  serviceInstances: number;
  referrals: { made: number; accepted: number; completed: number };
  resources: { count: number; valueYuan: number };
}

/**
 * Outcomes per registered project. Region and target group narrow the cases and counts;
 * organisation narrows the projects (those it runs); service narrows service instances only.
 */
export async function getProjectOutcomes(
  db: Kysely<any>,
  filters: AnalystFilters,
): Promise<ProjectOutcome[]> {
  const projects = await db
    .selectFrom('project')
    .selectAll()
    .where(and([equals('project_id', filters.projectId), equals('organisation_id', filters.organisationId)]))
    .orderBy('project_id')
    .execute();
  if (projects.length === 0) return [];
  const ids = projects.map((p) => p.project_id as string);
  // Rows of unlisted projects are simply not read back, so an unnarrowed query skips the
  // project test: matching every row against hundreds of ids cost more than the aggregate.
  const inProjects =
    filters.projectId === undefined && filters.organisationId === undefined
      ? TRUE
      : (anyOf('project_id', ids) ?? TRUE);

  const caseWhere = and([
    inRegion('community_code', filters.region),
    hasTargetGroup('target_mask', filters.targetGroup),
  ]);
  const opened = inPeriod('opened_day', filters);
  const closed = and([sql`status = 'closed'`, inPeriod('closed_day', filters)]);
  // A case is in the period when its life overlaps it.
  const live = and([
    notAfterPeriod('opened_day', filters),
    filters.from ? sql`(closed_day is null or closed_day >= ${filters.from}::date)` : undefined,
  ]);

  const [cases, facts, activity] = await Promise.all([
    db
      .selectFrom('case_summary')
      .where(inProjects)
      .where(caseWhere)
      .select([
        'project_id',
        sql<number>`count(*) filter (where ${opened})::int`.as('opened'),
        sql<number>`count(*) filter (where status = 'open' and ${notAfterPeriod('opened_day', filters)})::int`.as(
          'active',
        ),
        sql<number>`count(*) filter (where ${closed})::int`.as('closed'),
        sql<number>`(avg(goal_attainment) filter (where ${closed}))::float8`.as('goal_mean'),
        sql<number>`count(*) filter (where assessments >= 2 and ${live})::int`.as('assessed'),
        sql<number>`(avg(latest_assessment_score - first_assessment_score) filter (where assessments >= 2 and ${live}))::float8`.as(
          'delta_mean',
        ),
        sql<number>`(percentile_cont(0.5) within group (order by extract(epoch from closed_at - opened_at) / 86400) filter (where ${closed}))::float8`.as(
          'median_days',
        ),
        // Closures by reason and by goal attainment in the same pass: a second grouping of
        // the closed cases cost as much again at scale.
        ...CLOSURE_REASONS.map((reason) =>
          sql<number>`count(*) filter (where ${closed} and closure_reason = ${reason})::int`.as(
            `reason_${reason}`,
          ),
        ),
        ...GOAL_SCORES.map((score) =>
          sql<number>`count(*) filter (where ${closed} and goal_attainment = ${Number(score)})::int`.as(
            `goal_${GOAL_SCORES.indexOf(score)}`,
          ),
        ),
      ])
      .groupBy('project_id')
      .execute(),
    getServiceInstances(db, {
      from: filters.from,
      to: filters.to,
      region: filters.region,
      targetGroup: filters.targetGroup,
      service: filters.service,
      groupBy: 'project',
    }),
    db
      .selectFrom('case_activity_daily')
      .where(inProjects)
      .where(
        and([
          inPeriod('day', filters),
          inRegion('community_code', filters.region),
          hasTargetGroup('target_mask', filters.targetGroup),
        ]),
      )
      .select([
        'project_id',
        sql<number>`sum(referrals_made)::float8`.as('made'),
        sql<number>`sum(referrals_accepted)::float8`.as('accepted'),
        sql<number>`sum(referrals_completed)::float8`.as('completed'),
        sql<number>`sum(resources_linked)::float8`.as('resources'),
        sql<number>`sum(resource_value_yuan)::float8`.as('value'),
      ])
      .groupBy('project_id')
      .execute(),
  ]);

  const caseBy = new Map(cases.map((row) => [row.project_id as string, row]));
  const factBy = new Map(facts.rows.map((row) => [row.key, row.serviceInstances]));
  const activityBy = new Map(activity.map((row) => [row.project_id as string, row]));

  return projects.map((project) => {
    const id = project.project_id as string;
    const c = caseBy.get(id);
    const a = activityBy.get(id);
    const closedByReason = Object.fromEntries(
      CLOSURE_REASONS.map((r) => [r, num(c?.[`reason_${r}`])]),
    ) as Record<ClosureReason, number>;
    const distribution = Object.fromEntries(
      GOAL_SCORES.map((score, i) => [score, num(c?.[`goal_${i}`])]),
    ) as Record<(typeof GOAL_SCORES)[number], number>;
    return {
      projectId: id,
      name: project.name,
      organisationId: project.organisation_id,
      brand: project.brand ?? null,
      fundingSource: project.funding_source,
      casesOpened: num(c?.opened),
      casesActive: num(c?.active),
      casesClosed: num(c?.closed),
      closedByReason,
      goalAttainment: { mean: numOrNull(c?.goal_mean), distribution },
      assessmentChange: { cases: num(c?.assessed), meanDelta: numOrNull(c?.delta_mean) },
      medianCaseDurationDays: numOrNull(c?.median_days, 1),
      serviceInstances: factBy.get(id) ?? 0,
      referrals: { made: num(a?.made), accepted: num(a?.accepted), completed: num(a?.completed) },
      resources: { count: num(a?.resources), valueYuan: numOrNull(a?.value) ?? 0 },
    };
  });
}
