import { defineProjection } from './projection';
import { insertIgnoring } from './write';

/**
 * Service instances (人次): one fact row per counted entry, keyed by its event id and
 * carrying day × community × target groups × services × project × organisation × worker.
 * An `EntryVoided` marks its target's row, so every figure read from standing rows takes the
 * count back by exactly the dimensions it was counted under.
 *
 * Rows are per entry rather than summed per day and dimension: at day grain almost every
 * key is distinct (40,028 entries made 38,502 keys in the benchmark log), so a summed table
 * would double the writes and still need this ledger for voids.
 */
export const serviceInstancesProjection = defineProjection('service-instances', async (trx, batch) => {
  await insertIgnoring(trx, 'counted_entry', ['event_id'], [...batch.newEntries.values()]);
  if (batch.voidedEntries.length > 0) {
    await trx
      .updateTable('counted_entry')
      .set({ voided: true })
      .where('event_id', 'in', batch.voidedEntries)
      .execute();
  }
});
