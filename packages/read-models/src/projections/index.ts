import { getHeapStatistics } from 'node:v8';
import type { RecordedEvent } from '@fengcheng/event-store';
import { type Kysely, sql } from 'kysely';
import { assertSchemaName, createReadModelIndexes } from '../migrations';
import { analyseBatch, emptyStateCache, type ReadModelTrx, type StateCache } from './batch';
import { caseSummariesProjection, writeCaseSummaries } from './case-summaries.projection';
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

/**
 * Moves the checkpoint past `events` events up to `position` that feed no read model (see
 * `feedsReadModels`), in the caller's transaction; a checkpoint already past it stays.
 */
export async function passEvents(
  trx: ReadModelTrx,
  schemaName: string,
  passed: { position: bigint; events: number },
): Promise<void> {
  await enter(trx, schemaName);
  await setCheckpoint(trx, passed.position, passed.events, { onlyForward: true });
}

/** Sets the checkpoint and counts `events` more; `onlyForward` leaves one already at or past `position`. */
async function setCheckpoint(
  trx: ReadModelTrx,
  position: bigint,
  events: number,
  { onlyForward = false } = {},
): Promise<void> {
  await sql`update projection_checkpoint
    set position = ${position.toString()}, events = events + ${events}, updated_at = now()
    where id = 1${onlyForward ? sql` and position < ${position.toString()}` : sql``}`.execute(trx);
}

/** Options of `bulkApplier`. */
export interface BulkApplierOptions {
  /**
   * At most this many cases and ledger entries kept in memory; past it the rest of the
   * rebuild reads its state from the generation, as the live projector does. Default: as many
   * as keep the heap under 60% of its limit (about 700 bytes a kept row), so a rebuild inside a
   * service's capped heap cannot run it out of memory, and one with room to spare keeps it all.
   */
  maxCachedRows?: number;
  /** Told once, when the kept state outgrew its bound and the rebuild went the live way. */
  onOutgrown?: (keptRows: number, position: bigint) => void;
}

/** The heap share a rebuild's kept state may fill before the rebuild reads from the generation. */
const CACHE_HEAP_SHARE = 0.6;

/**
 * Fills a generation nobody reads yet (a rebuild), faster than `applyEvents`: the state the
 * next batch needs is kept in memory, so each batch is analysed while the previous one is
 * still being written, and the ledger's key, the earlier batches' voids and the
 * service-instance sums wait for the end. Batches are not atomic and nobody reads the
 * generation before the swap: a rebuild that dies is started over, never resumed.
 *
 * Memory is bounded: once the kept state outgrows `maxCachedRows` (or the heap share), what
 * waited is written with the checkpoint, the deferred keys are made, the state is dropped and
 * the remaining batches go the live projector's way (`applyEvents`, one transaction each,
 * reading what they need from the generation) — slower, in a heap of any size.
 */
export function bulkApplier(db: Kysely<any>, schemaName: string, options: BulkApplierOptions = {}) {
  let cache: StateCache | null = emptyStateCache();
  let writing: Promise<void> = Promise.resolve();
  // Events applied since the checkpoint was last written, and the last position applied.
  let applied = 0;
  let position = 0n;
  const inGeneration = (work: (trx: ReadModelTrx) => Promise<void>) =>
    db.transaction().execute(async (trx) => {
      await enter(trx, schemaName);
      await work(trx);
    });
  const outgrown = (kept: StateCache) => {
    const rows = kept.cases.size + kept.entryCount;
    if (options.maxCachedRows !== undefined) return rows > options.maxCachedRows;
    const heap = getHeapStatistics();
    return heap.used_heap_size > CACHE_HEAP_SHARE * heap.heap_size_limit;
  };
  /**
   * Writes what the kept state held back, so the generation answers the live path's reads;
   * `afterCases` (the projects' medians, at the end) reads the cases, so it follows them.
   */
  const writeHeldBack = async (kept: StateCache, afterCases?: () => Promise<void>) => {
    await writing;
    // Nobody reads the generation before the swap: the cases, the service-instance sums and the
    // earlier batches' voids are written side by side.
    await Promise.all([
      inGeneration((trx) => writeCaseSummaries(trx, kept.cases.values(), 'empty')).then(afterCases),
      ...(['monthly', 'regionMonthly', 'countyMonthly', 'daily'] as const).map((name) =>
        inGeneration((trx) => writeServiceInstanceSums(trx, { [name]: kept.sums[name] }, 'empty')),
      ),
      inGeneration((trx) => markVoided(trx, kept.voided)),
    ]);
    await inGeneration((trx) => setCheckpoint(trx, position, applied));
    applied = 0;
  };
  return {
    /** True once the deferred keys and indexes exist (the rebuild went the live way part of it). */
    get indexed() {
      return cache === null;
    },
    async apply(events: RecordedEvent[]): Promise<void> {
      const last = events.at(-1);
      if (!last) return;
      if (!cache) {
        await db.transaction().execute((trx) => applyEvents(trx, schemaName, events));
        position = last.position;
        return;
      }
      const batch = await analyseBatch(db, events, cache);
      // One batch in flight at a time, written in order: a later state replaces an earlier one.
      await writing;
      writing = inGeneration(async (trx) => {
        for (const projection of PROJECTIONS) await projection.write(trx, batch);
      });
      writing.catch(() => {});
      applied += events.length;
      position = last.position;
      if (outgrown(cache)) {
        const kept = cache;
        options.onOutgrown?.(kept.cases.size + kept.entryCount, position);
        await writeHeldBack(kept);
        await createReadModelIndexes(db, schemaName);
        cache = null;
      }
    },
    async finish(): Promise<void> {
      const medians = () => inGeneration((trx) => refreshMedianDurations(trx));
      if (cache) await writeHeldBack(cache, medians);
      else await medians();
    },
  };
}
