import { CLOSURE_REASONS } from '@fengcheng/domain';
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import {
  closedColumn,
  GOAL_SCORES,
  goalColumn,
  medianCaseDays,
} from '../projections/project-outcome-figures';
import {
  type AnalystFilters,
  and,
  equals,
  hasTargetGroup,
  inPeriod,
  inRegion,
  notAfterPeriod,
  num,
  numOrNull,
} from './filters';
import { getServiceInstances } from './service-instances.query';

export { CLOSURE_REASONS };
export type ClosureReason = (typeof CLOSURE_REASONS)[number];
type GoalScore = `${(typeof GOAL_SCORES)[number]}`;

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
  goalAttainment: { mean: number | null; distribution: Record<GoalScore, number> };
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
  const projects = db
    .selectFrom('project')
    .select(['project_id', 'name', 'organisation_id', 'brand', 'funding_source'])
    .where(and([equals('project_id', filters.projectId), equals('organisation_id', filters.organisationId)]))
    .orderBy('project_id')
    .execute();
  // The same projects, narrowed in the server, so the figures are read beside the list; an
  // unnarrowed query has no project test at all (rows of unlisted projects are not read back).
  const inProjects = and([
    equals('project_id', filters.projectId),
    filters.organisationId === undefined
      ? undefined
      : sql<SqlBool>`project_id in (${db.selectFrom('project').select('project_id').where('organisation_id', '=', filters.organisationId)})`,
  ]);

  // Outcomes over all of a project's cases are kept per project by the projection; a period,
  // a region, a target group or a service needs the cases and counts themselves.
  const [listed, figures] = await Promise.all([
    projects,
    filters.from === undefined &&
    filters.to === undefined &&
    filters.region === undefined &&
    filters.targetGroup === undefined &&
    filters.service === undefined
      ? keptFigures(db, inProjects)
      : figuresOverCases(db, filters, inProjects),
  ]);
  const figuresBy = new Map(figures.map((row) => [row.project_id as string, row]));

  return listed.map((project) => {
    const id = project.project_id as string;
    const c = figuresBy.get(id);
    const closedByReason = countsOf(REASON_KEYS, c) as Record<ClosureReason, number>;
    const distribution = countsOf(GOAL_KEYS, c) as Record<GoalScore, number>;
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
      serviceInstances: num(c?.service_instances),
      referrals: { made: num(c?.made), accepted: num(c?.accepted), completed: num(c?.completed) },
      resources: { count: num(c?.resources), valueYuan: numOrNull(c?.value) ?? 0 },
    };
  });
}

/** A project's figures, named as both ways of working them out name them. */
type Figures = Record<string, unknown>;

/** Each answer key beside the figure it is read from, made once rather than for every project. */
const REASON_KEYS = CLOSURE_REASONS.map((reason) => [reason, `reason_${reason}`] as const);
const GOAL_KEYS = GOAL_SCORES.map((score, i) => [String(score), `goal_${i}`] as const);

function countsOf(keys: ReadonlyArray<readonly [string, string]>, figures: Figures | undefined) {
  const counts: Record<string, number> = {};
  for (const [name, figure] of keys) counts[name] = num(figures?.[figure]);
  return counts;
}

/** The figures over all cases, one row per project as the projection keeps them. */
function keptFigures(db: Kysely<any>, inProjects: RawBuilder<SqlBool>): Promise<Figures[]> {
  const goals = sql.raw(GOAL_SCORES.map(goalColumn).join(' + '));
  return db
    .selectFrom('project_outcome')
    .where(inProjects)
    .select([
      'project_id',
      'cases_opened as opened',
      'cases_open as active',
      'cases_closed as closed',
      ...CLOSURE_REASONS.map((reason) => sql.ref(closedColumn(reason)).as(`reason_${reason}`)),
      ...GOAL_SCORES.map((score, i) => sql.ref(goalColumn(score)).as(`goal_${i}`)),
      // As avg() over integers: a numeric quotient, then a float.
      sql<number>`(goal_sum::numeric / nullif(${goals}, 0))::float8`.as('goal_mean'),
      'assessed_cases as assessed',
      sql<number>`(assessment_delta_sum / nullif(assessment_delta_cases, 0))::float8`.as('delta_mean'),
      'median_days',
      'service_instances',
      'referrals_made as made',
      'referrals_accepted as accepted',
      'referrals_completed as completed',
      'resources_linked as resources',
      sql<number>`resource_value_yuan::float8`.as('value'),
    ])
    .execute();
}

/** The figures over the cases and counts in the period, region and target group. */
async function figuresOverCases(
  db: Kysely<any>,
  filters: AnalystFilters,
  inProjects: RawBuilder<SqlBool>,
): Promise<Figures[]> {
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
        medianCaseDays(closed).as('median_days'),
        // Closures by reason and by goal attainment in the same pass: a second grouping of
        // the closed cases cost as much again at scale.
        ...CLOSURE_REASONS.map((reason) =>
          sql<number>`count(*) filter (where ${closed} and closure_reason = ${reason})::int`.as(
            `reason_${reason}`,
          ),
        ),
        ...GOAL_SCORES.map((score, i) =>
          sql<number>`count(*) filter (where ${closed} and goal_attainment = ${score})::int`.as(`goal_${i}`),
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

  // A project may have counts but no cases in scope (group activities only), or the reverse.
  const byProject = new Map<string, Figures>();
  const merge = (projectId: string, figures: Figures) =>
    byProject.set(projectId, { ...byProject.get(projectId), ...figures, project_id: projectId });
  for (const row of cases) merge(row.project_id as string, row);
  for (const row of activity) merge(row.project_id as string, row);
  for (const row of facts.rows) merge(row.key, { service_instances: row.serviceInstances });
  return [...byProject.values()];
}
