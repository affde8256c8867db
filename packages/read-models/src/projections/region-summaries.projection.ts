import { analysed } from './batch';
import type { Projection } from './projection';
import { upsertAdding } from './write';

/** Unfiltered totals for every region code at the four levels, kept by deltas. */
export const regionSummariesProjection: Projection = {
  name: 'region-summaries',
  async apply(trx, events) {
    const batch = await analysed(trx, events);
    await upsertAdding(
      trx,
      'region_summary',
      ['region_code'],
      ['cases_open', 'cases_closed', 'service_instances', 'workers', 'organisations'],
      [...batch.regions.values()],
    );
  },
};
