import { analysed } from './batch';
import type { Projection } from './projection';
import { upsertAdding } from './write';

/**
 * Referral and resource figures by day and case dimensions. The rest of a project's
 * outcomes (cases, closures, goal attainment, assessments, durations) are read from
 * case summaries, its service instances from the service-instance facts.
 */
export const projectOutcomesProjection: Projection = {
  name: 'project-outcomes',
  async apply(trx, events) {
    const batch = await analysed(trx, events);
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
  },
};
