import { defineProjection } from './projection';
import { upsertAdding } from './write';

/**
 * Supervision minutes per day. The rest of a workload is read where it already lies:
 * caseloads and overdue visits from case summaries, visits per day from the standing
 * service-instance rows (so "last 7/30 days" follows the query's clock), certification
 * from the registry.
 */
export const workerWorkloadsProjection = defineProjection('worker-workloads', async (trx, batch) => {
  await upsertAdding(
    trx,
    'supervision_daily',
    ['day', 'supervisor_id', 'supervisee_id'],
    ['minutes'],
    [...batch.supervision.values()],
  );
});
