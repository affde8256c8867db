import { CLOSURE_REASONS } from '@fengcheng/domain';
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { CaseState } from './batch';

/** Goal attainment scaling scores, -2 (much less than expected) to +2 (much more). */
export const GOAL_SCORES = [-2, -1, 0, 1, 2] as const;

export const closedColumn = (reason: string) => `closed_${reason}`;
export const goalColumn = (score: number) =>
  score === 0 ? 'goal_0' : `goal_${score < 0 ? 'minus' : 'plus'}${Math.abs(score)}`;

/** The `project_outcome` columns that only ever add up, as integers. */
export const OUTCOME_COUNTS = [
  'cases_opened',
  'cases_open',
  'cases_closed',
  ...CLOSURE_REASONS.map(closedColumn),
  ...GOAL_SCORES.map(goalColumn),
  'goal_sum',
  'assessed_cases',
  'assessment_delta_cases',
  'service_instances',
  'referrals_made',
  'referrals_accepted',
  'referrals_completed',
  'resources_linked',
] as const;

/**
 * The `project_outcome` columns summed exactly (numeric): a batch carries the terms, not
 * their sum, so no floating-point rounding depends on where the batches fell, and a term
 * taken back cancels exactly.
 */
export const OUTCOME_TERMS = ['assessment_delta_sum', 'resource_value_yuan'] as const;

/** One batch's change to one project's outcome figures. */
export interface OutcomeDelta {
  project_id: string;
  /** By `OUTCOME_COUNTS` column. */
  counts: Record<string, number>;
  assessment_delta_sum: number[];
  resource_value_yuan: number[];
}

export function emptyOutcomeDelta(projectId: string): OutcomeDelta {
  return {
    project_id: projectId,
    counts: Object.fromEntries(OUTCOME_COUNTS.map((column) => [column, 0])),
    assessment_delta_sum: [],
    resource_value_yuan: [],
  };
}

/**
 * Adds (sign 1) or takes back (sign -1) what one case counts in its project's outcomes,
 * the figures the outcomes query works out from case summaries when it is narrowed by
 * period, region or target group: a batch takes back each case's standing before it and
 * adds its standing after.
 */
export function addCaseOutcome(delta: OutcomeDelta, state: CaseState, sign: 1 | -1): void {
  const add = (column: string, by: number) => addCount(delta, column, by);
  add('cases_opened', sign);
  if (state.status === 'open') add('cases_open', sign);
  else {
    add('cases_closed', sign);
    if (state.closure_reason !== null) add(closedColumn(state.closure_reason), sign);
    if (state.goal_attainment !== null) {
      add(goalColumn(state.goal_attainment), sign);
      add('goal_sum', sign * state.goal_attainment);
    }
  }
  if (state.assessments >= 2) {
    add('assessed_cases', sign);
    if (state.first_assessment_score !== null && state.latest_assessment_score !== null) {
      add('assessment_delta_cases', sign);
      delta.assessment_delta_sum.push(sign * (state.latest_assessment_score - state.first_assessment_score));
    }
  }
}

export function addCount(delta: OutcomeDelta, column: string, by: number): void {
  delta.counts[column] = (delta.counts[column] ?? 0) + by;
}

/** The median days from intake to closure of the case summaries `cases` picks (its closed ones). */
export function medianCaseDays(cases: RawBuilder<SqlBool>): RawBuilder<number> {
  return sql<number>`(percentile_cont(0.5) within group (order by extract(epoch from closed_at - opened_at) / 86400) filter (where ${cases}))::float8`;
}

/**
 * A column of summed service instances is bigint: one group activity counts up to 100,000, so
 * 21,475 of them took an integer sum past 2^31, and the projector stopped on the overflow for
 * good (found by an audit). Counts of events and cases stay integer: one event adds one.
 */
export const SUM_TYPE = 'bigint';

export function countType(column: string): 'bigint' | 'integer' {
  return column === 'service_instances' ? SUM_TYPE : 'integer';
}
