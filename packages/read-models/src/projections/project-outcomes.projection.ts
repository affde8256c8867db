import { sql } from 'kysely';
import type { AnalysedBatch, ReadModelTrx } from './batch';
import { medianCaseDays, OUTCOME_COUNTS, OUTCOME_TERMS } from './project-outcome-figures';
import { defineProjection } from './projection';
import { upsertAdding } from './write';

/**
 * Referral and resource figures by day and case dimensions, for outcomes over a period, a
 * region or a target group (the rest of those is read from case summaries, service instances
 * from the service-instance sums); and each project's outcomes over all its cases, kept up
 * to date so that outcomes narrowed by nothing but project or organisation read one row per
 * project.
 */
export const projectOutcomesProjection = defineProjection('project-outcomes', async (trx, batch) => {
  await upsertAdding(
    trx,
    'case_activity_daily',
    ['day', 'community_code', 'target_mask', 'project_id', 'organisation_id'],
    [
      'referrals_made',
      'referrals_accepted',
      'referrals_completed',
      'resources_linked',
      'resource_value_yuan',
    ],
    [...batch.caseActivity.values()],
  );
  await addProjectOutcomes(trx, batch);
  // A rebuild works the medians out once, over the finished case summaries.
  if (!batch.rebuilding && batch.durationsChanged.size > 0)
    await refreshMedianDurations(trx, batch.durationsChanged);
});

/**
 * Adds the batch's changes to `project_outcome`. The exact sums arrive as their terms and
 * are summed by Postgres in numeric; `trim_scale` keeps a sum's text the same whichever
 * terms, cancelled since, it once held.
 */
async function addProjectOutcomes(trx: ReadModelTrx, batch: AnalysedBatch): Promise<void> {
  if (batch.outcomes.size === 0) return;
  const rows = [...batch.outcomes.values()].map((delta) => ({
    project_id: delta.project_id,
    ...delta.counts,
    assessment_delta_sum: delta.assessment_delta_sum,
    resource_value_yuan: delta.resource_value_yuan,
  }));
  const record = [
    'project_id text',
    ...OUTCOME_COUNTS.map((column) => `${column} integer`),
    ...OUTCOME_TERMS.map((column) => `${column} json`),
  ].join(', ');
  const columns = ['project_id', ...OUTCOME_COUNTS, ...OUTCOME_TERMS].join(', ');
  const values = [
    'x.project_id',
    ...OUTCOME_COUNTS.map((column) => `x.${column}`),
    ...OUTCOME_TERMS.map(
      (column) =>
        `trim_scale((select coalesce(sum(t::numeric), 0) from json_array_elements_text(x.${column}) t))`,
    ),
  ].join(', ');
  const set = [
    ...OUTCOME_COUNTS.map((column) => `${column} = project_outcome.${column} + excluded.${column}`),
    ...OUTCOME_TERMS.map(
      (column) => `${column} = trim_scale(project_outcome.${column} + excluded.${column})`,
    ),
  ].join(', ');
  await sql`insert into project_outcome (${sql.raw(columns)})
    select ${sql.raw(values)} from json_to_recordset(${JSON.stringify(rows)}::json) as x(${sql.raw(record)})
    on conflict (project_id) do update set ${sql.raw(set)}`.execute(trx);
}

/**
 * Works out again the median days from intake to closure of the closed cases of `projectIds`
 * (of every project without), from the case summaries already written, by the very
 * expression the outcomes query uses over a period.
 */
export async function refreshMedianDurations(
  trx: ReadModelTrx,
  projectIds?: Iterable<string>,
): Promise<void> {
  const only = projectIds === undefined ? sql`true` : sql`p.project_id = any(${[...projectIds]}::text[])`;
  await sql`update project_outcome o set median_days = m.median_days
    from (
      select p.project_id, ${medianCaseDays(sql`status = 'closed'`)} as median_days
      from project_outcome p left join case_summary c on c.project_id = p.project_id
      where ${only}
      group by p.project_id
    ) m
    where o.project_id = m.project_id and o.median_days is distinct from m.median_days`.execute(trx);
}
