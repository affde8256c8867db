import { sql } from 'kysely';
import type { ReadModelTrx, ServiceInstanceSums } from './batch';
import { defineProjection } from './projection';
import { insertAll, insertIgnoring, upsertAdding } from './write';

/**
 * Service instances (人次): one fact row per counted entry, keyed by its event id and
 * carrying day × community × target groups × services × project × organisation × worker.
 * An `EntryVoided` marks its target's row, so every figure read from standing rows takes the
 * count back by exactly the dimensions it was counted under.
 *
 * Queries read the sums kept beside it: month × county × groups × services × project ×
 * organisation, month × township × groups × services, and day × organisation.
 * At day grain with every dimension almost every key is distinct; these fold the ledger
 * 8 to 40 times at Yinchuan ×10.
 * The per-entry ledger stays for voids and for the edge days of a mid-month period.
 */
export const serviceInstancesProjection = defineProjection('service-instances', async (trx, batch) => {
  const entries = [...batch.newEntries.values()];
  if (batch.rebuilding) await insertAll(trx, 'counted_entry', entries);
  else await insertIgnoring(trx, 'counted_entry', ['event_id'], entries);
  await markVoided(trx, batch.voidedEntries);
  await writeServiceInstanceSums(trx, batch);
});

/** Marks ledger rows voided (one pass over the ledger when it has no key yet, in a rebuild). */
export async function markVoided(trx: ReadModelTrx, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await sql`update counted_entry set voided = true
    where event_id in (select json_array_elements_text(${JSON.stringify(eventIds)}::json)::uuid)`.execute(
    trx,
  );
}

const CHUNK = 20_000;

/**
 * Adds the batch's service-instance sums to the monthly and daily tables, or writes a whole
 * rebuild's into the empty tables (`into: 'empty'`, plain inserts).
 */
export async function writeServiceInstanceSums(
  trx: ReadModelTrx,
  sums: Partial<ServiceInstanceSums>,
  into: 'existing' | 'empty' = 'existing',
): Promise<void> {
  const masks = ['target_mask', 'service_mask'];
  const tables = [
    [
      'service_instance_monthly',
      ['month', 'county_code', ...masks, 'project_id', 'organisation_id'],
      sums.monthly,
    ],
    ['service_instance_region_monthly', ['month', 'township_code', ...masks], sums.regionMonthly],
    ['service_instance_county_monthly', ['month', 'county_code', ...masks], sums.countyMonthly],
    ['service_instance_daily', ['organisation_id', 'day'], sums.daily],
  ] as const;
  for (const [table, keys, rows] of tables) {
    if (!rows) continue;
    // insertAll makes its COPYs a chunk at a time; an upsert's rows travel as one JSON parameter.
    if (into === 'empty') {
      await insertAll(trx, table, rows);
      continue;
    }
    for (let i = 0; i < rows.length; i += CHUNK) {
      await upsertAdding(trx, table, keys, ['service_instances'], rows.slice(i, i + CHUNK));
    }
  }
}
