import { defineProjection } from './projection';
import { upsertAdding } from './write';

/**
 * Referral and resource figures by day and case dimensions. The rest of a project's
 * outcomes (cases, closures, goal attainment, assessments, durations) are read from
 * case summaries, its service instances from the service-instance facts.
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
});
