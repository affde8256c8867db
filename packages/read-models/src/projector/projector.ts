import type { EventStore, RecordedEvent, Subscription } from '@fengcheng/event-store';
import type { Database, Logger } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { READ_MODEL_VERSION, tendReadModelSchema } from '../migrations';
import { applyEvents, passEvents } from '../projections';
import { feedsReadModels } from '../projections/batch';
import {
  checkpointOf,
  ensureReadModels,
  type GenerationResolver,
  pointerTable,
  readPointer,
  resolverFor,
} from './generation';
import { rebuildReadModels } from './rebuild';

export interface ProjectorDeps {
  store: EventStore;
  database: Database;
  logger: Logger;
  /** Largest batch per transaction. Default 2000 (a quiet log still yields small batches). */
  batchSize?: number;
  /** How soon the checkpoint past events that feed no read model is written. Default 100 ms. */
  passedCheckpointMs?: number;
  /**
   * How often the generation's changed tables are vacuumed and analysed once the projector is
   * idle (nothing projected for as long); while it is busy, six times as long. Default 10 s.
   */
  tendMs?: number;
  /**
   * How long nothing is projected before the projector settles what it wrote: every table of
   * the generation is vacuumed (see `tendReadModelSchema`), at most once per `tendMs`, and once
   * after a start. Default 1 s.
   */
  quietMs?: number;
}

export interface Projector {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The position the current generation's read models include. */
  readonly position: bigint;
  /** Resolves true once the read models include `position`, false after `timeoutMs`. */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean>;
  /** The current generation's read models (follows a rebuild's swap). */
  readModels(): Kysely<any>;
  /**
   * Since when (ms, `Date.now()`) the projector has been failing and retrying at the same
   * position, and why; null while it is following. The only sign, besides the log, that the
   * read models have stopped moving: a batch that cannot be projected is retried for ever.
   */
  readonly failing: { since: number; position: string; error: string } | null;
}

class GenerationChanged extends Error {
  override readonly name = 'GenerationChanged';
}

const RETRY_MS = 1000;
/**
 * Batches that feed no read model (the audit trail every reviewer's read appends) are passed
 * without a transaction; their checkpoint is written at most this long after, with the next
 * batch that does feed one or at stop. A `minPosition` on such an event waits this long at
 * worst; a crash before the write makes the projector read them again, to no effect.
 */
const PASSED_CHECKPOINT_MS = 100;
// An idle projector would otherwise notice a rebuild's swap only with the next event.
const GENERATION_CHECK_MS = 1000;
/** See `tendReadModelSchema`: planner statistics that follow the tables as they grow. */
const TEND_MS = 10_000;
const QUIET_MS = 1000;

/**
 * Follows the event log into the read models. Each batch's change and checkpoint commit in
 * one transaction, and the batch is refused if a rebuild swapped the generation meanwhile:
 * the projector then resumes from the new generation's checkpoint.
 */
export function createProjector(deps: ProjectorDeps): Projector {
  const { store, database, logger } = deps;
  const batchSize = deps.batchSize ?? 2000;
  let schema = '';
  let position = 0n;
  let subscription: Subscription | null = null;
  let resolver: GenerationResolver | null = null;
  let stopped = true;
  let retryTimer: NodeJS.Timeout | null = null;
  let generationTimer: NodeJS.Timeout | null = null;
  let tendTimer: NodeJS.Timeout | null = null;
  let tending: Promise<void> | null = null;
  let lastProjectedAt = 0;
  let failing: Projector['failing'] = null;
  let lastTendedAt = performance.now();
  let lastSettledAt = Number.NEGATIVE_INFINITY;
  let switching = false;
  const waiters = new Set<{ position: bigint; resolve: (reached: boolean) => void }>();

  // Queries read the generation the resolver points at. Right after a swap (a rebuild in this
  // process tells the resolver at once) the projector may still be in the old one: a position
  // it reached there is not yet in what queries read, so waiters wait for it to move over.
  const servesQueries = () => !resolver || resolver.current() === schema;
  const reach = (next: bigint) => {
    position = next;
    if (!servesQueries()) return;
    for (const waiter of waiters) {
      if (position >= waiter.position) {
        waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  };

  // Events passed over since the checkpoint was last written (see PASSED_CHECKPOINT_MS).
  let passed: { position: bigint; events: number } | null = null;
  let passedTimer: NodeJS.Timeout | null = null;
  // Batches and the passed events' checkpoint are written one at a time.
  let writing: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = writing.then(work, work);
    writing = run.catch(() => {});
    return run;
  };
  const inGeneration = <T>(work: (trx: Parameters<typeof applyEvents>[0]) => Promise<T>) =>
    database.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ schema_name: string }>`
        select schema_name from ${pointerTable(database)} where id = 1 for share`.execute(trx);
      if (rows[0]?.schema_name !== schema) throw new GenerationChanged(rows[0]?.schema_name);
      return work(trx);
    });
  const writePassed = () =>
    serially(async () => {
      if (passedTimer) clearTimeout(passedTimer);
      passedTimer = null;
      const pending = passed;
      if (!pending) return;
      await inGeneration((trx) => passEvents(trx, schema, pending));
      if (passed === pending) passed = null;
    });

  const handle = async (events: RecordedEvent[]) => {
    const last = events.at(-1);
    if (!last) return;
    if (!events.some(feedsReadModels)) {
      passed = { position: last.position, events: (passed?.events ?? 0) + events.length };
      reach(last.position);
      passedTimer ??= setTimeout(() => {
        writePassed().catch((error: unknown) => {
          // A swap moved the projector on; otherwise the next batch or the next pass writes it.
          if (!(error instanceof GenerationChanged))
            logger.warn({ err: error }, 'could not write the checkpoint past unprojected events');
        });
      }, deps.passedCheckpointMs ?? PASSED_CHECKPOINT_MS);
      return;
    }
    const checkpoint = await serially(() =>
      inGeneration(async (trx) => {
        const pending = passed;
        if (pending) await passEvents(trx, schema, pending);
        const reached = await applyEvents(trx, schema, events);
        return { reached, pending };
      }),
    );
    if (checkpoint.pending && passed === checkpoint.pending) passed = null;
    reach(checkpoint.reached);
    lastProjectedAt = performance.now();
    failing = null;
    logger.debug({ events: events.length, position: checkpoint.reached.toString() }, 'batch projected');
  };

  const follow = async () => {
    const pointer = await ensureReadModels(database);
    const position0 = await checkpointOf(database.db, pointer.schema);
    if (stopped) return;
    schema = pointer.schema;
    passed = null;
    resolver?.swapped(schema);
    reach(position0);
    logger.info({ schema, position: position.toString() }, 'projector following the event log');
    const current = store.subscribe({ after: position, batchSize, handle });
    subscription = current;
    current.done.then(
      () => {},
      (error: unknown) => {
        if (stopped || subscription !== current) return;
        const swapped = error instanceof GenerationChanged;
        if (swapped) logger.info({ schema: error.message }, 'read-model generation swapped; resuming there');
        else {
          logger.error({ err: error, position: position.toString() }, 'projection failed; retrying');
          const at = position.toString();
          const message = error instanceof Error ? error.message : String(error);
          failing = {
            since: failing?.position === at ? failing.since : Date.now(),
            position: at,
            error: message,
          };
        }
        void resume(swapped ? 0 : RETRY_MS);
      },
    );
  };

  // One way back to following, whatever stopped it: a failed batch, a swap, a lost connection.
  const resume = async (delayMs: number): Promise<void> => {
    if (switching || stopped) return;
    switching = true;
    try {
      const current = subscription;
      subscription = null;
      await current?.stop().catch(() => {});
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (!stopped) await follow();
    } catch (error) {
      logger.error({ err: error }, 'projector could not resume; retrying');
      if (!stopped) retryTimer = setTimeout(() => void resume(0), RETRY_MS);
    } finally {
      switching = false;
    }
  };

  // Moves to a generation swapped in by a rebuild (in this process or another).
  const checkGeneration = async () => {
    if (stopped || switching || !subscription) return;
    const pointer = await readPointer(database);
    if (pointer && pointer.schema !== schema) {
      logger.info({ from: schema, to: pointer.schema }, 'read-model generation swapped; resuming there');
      await resume(0);
    }
  };

  // Beside the batches, on a connection of its own: a vacuum takes no lock that a write waits for.
  // PGlite has one connection, so a vacuum there holds the batches up: while the projector is
  // busy (a load of Yinchuan ×1: 5% slower with a vacuum every 10 s) it tends less often, and
  // it settles only once it has gone quiet.
  const tendMs = deps.tendMs ?? TEND_MS;
  const quietMs = deps.quietMs ?? QUIET_MS;
  const tend = () => {
    const started = performance.now();
    if (stopped || tending || !schema) return;
    const idleFor = started - lastProjectedAt;
    // Once what was projected since the last settle (a start counts) has gone quiet; at most once per tendMs.
    const settle = idleFor >= quietMs && lastProjectedAt > lastSettledAt && started - lastSettledAt >= tendMs;
    const due = started - lastTendedAt >= (idleFor < tendMs ? 6 * tendMs : tendMs);
    if (!settle && !due) return;
    lastTendedAt = started;
    if (settle) lastSettledAt = started;
    const generation = schema;
    tending = tendReadModelSchema(database.db, generation, { settle })
      .then((tables) => {
        if (tables.length > 0)
          logger.info(
            { schema: generation, tables, settle, ms: Math.round(performance.now() - started) },
            settle
              ? 'read-model tables settled (vacuumed; analysed past the thresholds)'
              : 'read-model tables vacuumed and analysed',
          );
      })
      // A rebuild may have dropped the generation meanwhile; the next round tends the new one.
      .catch((error: unknown) => logger.warn({ err: error }, 'could not vacuum the read models'))
      .finally(() => {
        tending = null;
      });
  };

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      // Counted as a batch, so the first quiet round settles what an earlier process left.
      lastProjectedAt = performance.now();
      const pointer = await ensureReadModels(database);
      if (pointer.modelVersion !== READ_MODEL_VERSION) {
        logger.warn(
          { found: pointer.modelVersion, want: READ_MODEL_VERSION },
          'read-model layout changed; rebuilding',
        );
        await rebuildReadModels({ store, database, logger, dropDelayMs: 0 });
      }
      resolver = await resolverFor(database);
      await follow();
      generationTimer = setInterval(() => {
        checkGeneration().catch((error: unknown) =>
          logger.warn({ err: error }, 'could not check the generation'),
        );
      }, GENERATION_CHECK_MS);
      generationTimer.unref();
      tendTimer = setInterval(tend, Math.min(tendMs, quietMs));
      tendTimer.unref();
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (generationTimer) clearInterval(generationTimer);
      if (tendTimer) clearInterval(tendTimer);
      await tending;
      const current = subscription;
      subscription = null;
      await current?.stop();
      await writePassed().catch(() => {});
      for (const waiter of waiters) waiter.resolve(position >= waiter.position && servesQueries());
      waiters.clear();
    },
    get position() {
      return position;
    },
    get failing() {
      return failing;
    },
    waitFor(target, timeoutMs) {
      if (position >= target && servesQueries()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const waiter = {
          position: target,
          resolve: (reached: boolean) => {
            clearTimeout(timer);
            resolve(reached);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    readModels() {
      if (!resolver) throw new Error('the projector has not started');
      return resolver.db;
    },
  };
}
