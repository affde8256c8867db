import type { EventStore } from '@fengcheng/event-store';
import type { Database, Logger } from '@fengcheng/platform';
import { sql } from 'kysely';
import {
  createReadModelSchema,
  dropReadModelSchema,
  READ_MODEL_VERSION,
  readyGenerationTables,
} from '../migrations';
import { bulkApplier } from '../projections';
import { ensureReadModels, generationSchemaName, notifySwapped, pointerTable } from './generation';

export interface RebuildDeps {
  store: EventStore;
  database: Database;
  logger: Logger;
  onProgress?: (done: number, position: bigint, total?: number) => void;
  /** Events per transaction. Default 5000. */
  batchSize?: number;
  /** Cases and ledger entries kept in memory at most (default: by the heap's limit; see `bulkApplier`). */
  maxCachedRows?: number;
  /**
   * How long the old generation outlives the swap, so a query process that has not yet
   * noticed the swap (it re-reads the pointer every second) still finds its tables. Default 5 s.
   */
  dropDelayMs?: number;
}

/**
 * Rebuilds every read model from the start of the log into a new generation while queries
 * keep reading the current one, then swaps the pointer in one transaction and drops the old
 * generation. A live projector notices the swap and carries on in the new generation.
 */
export async function rebuildReadModels(deps: RebuildDeps): Promise<{ events: number; seconds: number }> {
  const { store, database, logger } = deps;
  const batchSize = deps.batchSize ?? 5000;
  const started = performance.now();
  const current = await ensureReadModels(database);
  const generation = current.generation + 1;
  const schema = generationSchemaName(database.schema, generation);
  // A rebuild that died half-way leaves its schema behind: start that generation afresh.
  await dropReadModelSchema(database.db, schema);
  await createReadModelSchema(database.db, schema, { deferIndexes: true });
  logger.info({ from: current.schema, to: schema }, 'read-model rebuild started');

  let done = 0;
  let position = 0n;
  const applier = bulkApplier(database.db, schema, {
    ...(deps.maxCachedRows !== undefined ? { maxCachedRows: deps.maxCachedRows } : {}),
    onOutgrown: (keptRows, at) =>
      logger.info(
        {
          keptRows,
          position: at.toString(),
          heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        },
        'rebuild state outgrew memory: writing it and going on the live way, reading from the generation',
      ),
  });
  // Read the next batch while the current one is being applied.
  let next = store.readAll({ after: position, limit: batchSize });
  next.catch(() => {}); // awaited below; this only keeps a failure after an earlier one from going unhandled
  let readWaitMs = 0;
  let applyMs = 0;
  for (;;) {
    const waitStarted = performance.now();
    const events = await next;
    readWaitMs += performance.now() - waitStarted;
    const last = events.at(-1);
    if (!last) break;
    next = store.readAll({ after: last.position, limit: batchSize });
    next.catch(() => {});
    const applyStarted = performance.now();
    await applier.apply(events);
    applyMs += performance.now() - applyStarted;
    done += events.length;
    position = last.position;
    deps.onProgress?.(done, position);
  }

  const finishStarted = performance.now();
  await applier.finish();
  const readyStarted = performance.now();
  await readyGenerationTables(database.db, schema, { deferred: !applier.indexed });
  logger.debug(
    {
      schema,
      readWaitMs: Math.round(readWaitMs),
      applyMs: Math.round(applyMs),
      finishMs: Math.round(readyStarted - finishStarted),
      readyMs: Math.round(performance.now() - readyStarted),
    },
    'rebuild timings',
  );

  await database.db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ generation: number }>`
      select generation from ${pointerTable(database)} where id = 1 for update`.execute(trx);
    if (rows[0]?.generation !== current.generation) {
      throw new Error(`another rebuild swapped generation ${rows[0]?.generation} in first`);
    }
    await sql`update ${pointerTable(database)}
      set schema_name = ${schema}, generation = ${generation}, model_version = ${READ_MODEL_VERSION}, swapped_at = now()
      where id = 1`.execute(trx);
  });
  await notifySwapped(database, schema);
  const seconds = (performance.now() - started) / 1000;
  logger.info(
    {
      schema,
      events: done,
      position: position.toString(),
      seconds,
      eventsPerSecond: Math.round(done / seconds),
    },
    'read-model generation swapped in',
  );

  const dropDelayMs = deps.dropDelayMs ?? 5000;
  if (dropDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, dropDelayMs));
  await dropReadModelSchema(database.db, current.schema);
  return { events: done, seconds };
}
