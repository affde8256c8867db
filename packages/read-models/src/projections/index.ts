import type { RecordedEvent } from '@fengcheng/event-store';
import { type Kysely, sql } from 'kysely';
import { assertSchemaName } from '../migrations';
import { type AnalysedBatch, analyseBatch, emptyStateCache, type ReadModelTrx } from './batch';
import { caseSummariesProjection } from './case-summaries.projection';
import { projectOutcomesProjection, refreshMedianDurations } from './project-outcomes.projection';
import type { Projection } from './projection';
import { regionSummariesProjection } from './region-summaries.projection';
import { registryProjection } from './registry.projection';
import { serviceInstancesProjection, writeServiceInstanceSums } from './service-instances.projection';
import { workerWorkloadsProjection } from './worker-workloads.projection';

export const PROJECTIONS: readonly Projection[] = [
  registryProjection,
  caseSummariesProjection,
  serviceInstancesProjection,
  projectOutcomesProjection,
  workerWorkloadsProjection,
  regionSummariesProjection,
];

/** Points the transaction at one generation; commits need not wait for the disk (see below). */
async function enter(trx: ReadModelTrx, schemaName: string): Promise<void> {
  assertSchemaName(schemaName);
  await sql.raw(`set local search_path to ${schemaName}`).execute(trx);
  // Asynchronous commit is safe here: a commit lost in a crash loses the change and its
  // checkpoint together, and the events are read again from the store.
  await sql.raw('set local synchronous_commit to off').execute(trx);
}

/**
 * Applies events to generation `schemaName` inside `trx` and moves its checkpoint, so the
 * change and the checkpoint commit together. Events at or below the checkpoint are skipped:
 * a batch delivered again after a crash counts once. Returns the new checkpoint.
 */
export async function applyEvents(
  trx: ReadModelTrx,
  schemaName: string,
  events: RecordedEvent[],
): Promise<bigint> {
  await enter(trx, schemaName);
  const { rows } = await sql<{ position: bigint | string }>`
    select position from projection_checkpoint where id = 1 for update`.execute(trx);
  const checkpoint = BigInt(rows[0]?.position ?? 0);
  const fresh = events.filter((e) => e.position > checkpoint);
  const last = fresh.at(-1);
  if (!last) return checkpoint;
  for (const projection of PROJECTIONS) await projection.apply(trx, fresh);
  await setCheckpoint(trx, last.position, fresh.length);
  return last.position;
}

async function setCheckpoint(trx: ReadModelTrx, position: bigint, events: number): Promise<void> {
  await sql`update projection_checkpoint
    set position = ${position.toString()}, events = events + ${events}, updated_at = now()
    where id = 1`.execute(trx);
}

/**
 * Fills a generation nobody reads yet (a rebuild), faster than `applyEvents`: the state the
 * next batch needs is kept in memory, so each batch is analysed while the previous one is
 * still being written. Batches are not atomic and the checkpoint is set only by `finish()`:
 * a rebuild that dies is started over, never resumed.
 */
export function bulkApplier(db: Kysely<any>, schemaName: string) {
  const cache = emptyStateCache();
  // The service-instance sums are few keys hit again and again: summed here over the whole
  // rebuild and written once by `finish()`, rather than upserted batch after batch.
  const sums = { monthly: new Map(), regionMonthly: new Map(), daily: new Map() } as Pick<
    AnalysedBatch,
    'monthly' | 'regionMonthly' | 'daily'
  >;
  const accumulate = (batch: AnalysedBatch) => {
    for (const name of ['monthly', 'regionMonthly', 'daily'] as const) {
      const into = sums[name] as Map<string, { service_instances: number }>;
      for (const [key, delta] of batch[name] as Map<string, { service_instances: number }>) {
        const row = into.get(key);
        if (row) row.service_instances += delta.service_instances;
        else into.set(key, delta);
      }
      batch[name].clear();
    }
    // Medians are worked out once, over the finished case summaries, by `finish()`.
    batch.durationsChanged.clear();
  };
  let writing: Promise<void> = Promise.resolve();
  let applied = 0;
  let position = 0n;
  return {
    async apply(events: RecordedEvent[]): Promise<void> {
      const last = events.at(-1);
      if (!last) return;
      const batch = await analyseBatch(db, events, cache);
      accumulate(batch);
      // One batch in flight at a time, written in order: a later state replaces an earlier one.
      await writing;
      writing = db.transaction().execute(async (trx) => {
        await enter(trx, schemaName);
        for (const projection of PROJECTIONS) await projection.write(trx, batch);
      });
      writing.catch(() => {});
      applied += events.length;
      position = last.position;
    },
    async finish(): Promise<void> {
      await writing;
      // Nobody reads the generation before the swap: the three tables are filled side by side.
      await Promise.all(
        (['monthly', 'regionMonthly', 'daily'] as const).map((name) =>
          db.transaction().execute(async (trx) => {
            await enter(trx, schemaName);
            await writeServiceInstanceSums(trx, { [name]: sums[name] });
          }),
        ),
      );
      await db.transaction().execute(async (trx) => {
        await enter(trx, schemaName);
        await refreshMedianDurations(trx);
        await setCheckpoint(trx, position, applied);
      });
    },
  };
}
