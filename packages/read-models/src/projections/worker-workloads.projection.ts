import { defineProjection } from './projection';
import { upsertAdding } from './write';

/**
 * Visits per worker per day (so "last 7/30 days" is relative to the query's clock) and
 * supervision minutes per day. Caseloads and overdue visits are read from case summaries,
 * certification from the registry.
 */
export const workerWorkloadsProjection = defineProjection(
  'worker-workloads',
  'totals',
  async (trx, batch) => {
    await upsertAdding(
      trx,
      'worker_visit_daily',
      ['worker_id', 'day'],
      ['visits'],
      [...batch.workerVisits.values()],
    );
    await upsertAdding(
      trx,
      'supervision_daily',
      ['day', 'supervisor_id', 'supervisee_id'],
      ['minutes'],
      [...batch.supervision.values()],
    );
  },
);
