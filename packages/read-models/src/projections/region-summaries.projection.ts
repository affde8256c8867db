import { defineProjection } from './projection';
import { upsertAdding } from './write';

/** Unfiltered totals for every region code at the four levels, kept by deltas. */
export const regionSummariesProjection = defineProjection('region-summaries', async (trx, batch) => {
  await upsertAdding(
    trx,
    'region_summary',
    ['region_code'],
    ['cases_open', 'cases_closed', 'service_instances', 'workers', 'organisations'],
    [...batch.regions.values()],
  );
});
