import { defineProjection } from './projection';
import { insertIgnoring } from './write';

/**
 * The ledger of entries that counted, with the dimensions they were counted under, so a
 * later `EntryVoided` takes back exactly what its target added to every other read model.
 */
export const countedEntriesProjection = defineProjection('counted-entries', 'state', async (trx, batch) => {
  await insertIgnoring(trx, 'counted_entry', ['event_id'], [...batch.newEntries.values()]);
  if (batch.voidedEntries.length > 0) {
    await trx
      .updateTable('counted_entry')
      .set({ voided: true })
      .where('event_id', 'in', batch.voidedEntries)
      .execute();
  }
});
