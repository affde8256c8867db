import { analysed } from './batch';
import type { Projection } from './projection';
import { insertIgnoring, upsertAdding } from './write';

const FACT_KEYS = ['day', 'community_code', 'target_mask', 'service_mask', 'project_id', 'organisation_id'];

/**
 * Service instances (人次) by day × community × target groups × services × project ×
 * organisation, and the ledger of counted entries that lets a void take back exactly its count.
 */
export const serviceInstancesProjection: Projection = {
  name: 'service-instances',
  async apply(trx, events) {
    const batch = await analysed(trx, events);
    await insertIgnoring(trx, 'counted_entry', ['event_id'], [...batch.newEntries.values()]);
    if (batch.voidedEntries.length > 0) {
      await trx
        .updateTable('counted_entry')
        .set({ voided: true })
        .where('event_id', 'in', batch.voidedEntries)
        .execute();
    }
    const facts = [...batch.serviceInstances.values()].filter((row) => row.n !== 0);
    await upsertAdding(trx, 'service_instance_daily', FACT_KEYS, ['n'], facts);
  },
};
