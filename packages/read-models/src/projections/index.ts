import type { RecordedEvent } from '@fengcheng/event-store';
import { type Kysely, sql } from 'kysely';
import { assertSchemaName } from '../migrations';
import { analyseBatch, emptyStateCache, type ReadModelTrx } from './batch';
import { caseSummariesProjection } from './case-summaries.projection';
import { projectOutcomesProjection, refreshMedianDurations } from './project-outcomes.projection';
import type { Projection } from './projection';
import { regionSummariesProjection } from './region-summaries.projection';
import { registryProjection } from './registry.projection';
import {
  markVoided,
  serviceInstancesProjection,
  writeServiceInstanceSums,
} from './service-instances.projection';
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
  let writing: Promise<void> = Promise.resolve();
  let applied = 0;
  let position = 0n;
  return {
    async apply(events: RecordedEvent[]): Promise<void> {
      const last = events.at(-1);
      if (!last) return;
      const batch = await analyseBatch(db, events, cache);
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
      // Nobody reads the generation before the swap: the three service-instance tables and
      // the projects' medians are filled side by side.
      const inGeneration = (work: (trx: ReadModelTrx) => Promise<void>) =>
        db.transaction().execute(async (trx) => {
          await enter(trx, schemaName);
          await work(trx);
        });
      await Promise.all([
        ...(['monthly', 'regionMonthly', 'daily'] as const).map((name) =>
          inGeneration((trx) => writeServiceInstanceSums(trx, { [name]: cache.sums[name] }, 'empty')),
        ),
        inGeneration((trx) => refreshMedianDurations(trx)),
        inGeneration((trx) => markVoided(trx, cache.voided)),
      ]);
      await inGeneration((trx) => setCheckpoint(trx, position, applied));
    },
  };
}
