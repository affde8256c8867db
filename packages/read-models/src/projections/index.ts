import type { RecordedEvent } from '@fengcheng/event-store';
import { type Kysely, sql } from 'kysely';
import { assertSchemaName } from '../migrations';
import { type AnalysedBatch, analysed, type ReadModelTrx } from './batch';
import { caseSummariesProjection } from './case-summaries.projection';
import { projectOutcomesProjection } from './project-outcomes.projection';
import type { Projection } from './projection';
import { regionSummariesProjection } from './region-summaries.projection';
import { registryProjection } from './registry.projection';
import { serviceInstancesProjection } from './service-instances.projection';
import { workerWorkloadsProjection } from './worker-workloads.projection';

export const PROJECTIONS: readonly Projection[] = [
  registryProjection,
  caseSummariesProjection,
  serviceInstancesProjection,
  projectOutcomesProjection,
  workerWorkloadsProjection,
  regionSummariesProjection,
];

const STATE = PROJECTIONS.filter((p) => p.role === 'state');
const TOTALS = PROJECTIONS.filter((p) => p.role === 'totals');

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
 * Fills a generation nobody reads yet (a rebuild), faster than `applyEvents`: each batch's
 * state tables commit first, and its totals are written on a second connection while the
 * next batch is analysed. Batches are not atomic, so the generation is only usable once
 * `finish()` has set its checkpoint; a rebuild that dies is started over.
 */
export function bulkApplier(db: Kysely<any>, schemaName: string) {
  let totals: Promise<void> = Promise.resolve();
  let applied = 0;
  let position = 0n;
  return {
    async apply(events: RecordedEvent[]): Promise<void> {
      const last = events.at(-1);
      if (!last) return;
      const batch: AnalysedBatch = await db.transaction().execute(async (trx) => {
        await enter(trx, schemaName);
        const analysedBatch = await analysed(trx, events);
        for (const projection of STATE) await projection.write(trx, analysedBatch);
        return analysedBatch;
      });
      // One batch of totals in flight at a time bounds memory and surfaces errors promptly.
      await totals;
      totals = db.transaction().execute(async (trx) => {
        await enter(trx, schemaName);
        for (const projection of TOTALS) await projection.write(trx, batch);
      });
      totals.catch(() => {});
      applied += events.length;
      position = last.position;
    },
    async finish(): Promise<void> {
      await totals;
      await db.transaction().execute(async (trx) => {
        await enter(trx, schemaName);
        await setCheckpoint(trx, position, applied);
      });
    },
  };
}
