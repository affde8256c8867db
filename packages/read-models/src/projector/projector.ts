import type { EventStore, RecordedEvent, Subscription } from '@fengcheng/event-store';
import type { Database, Logger } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { READ_MODEL_VERSION } from '../migrations';
import { applyEvents } from '../projections';
import {
  checkpointOf,
  ensureReadModels,
  type GenerationResolver,
  pointerTable,
  resolverFor,
} from './generation';
import { rebuildReadModels } from './rebuild';

export interface ProjectorDeps {
  store: EventStore;
  database: Database;
  logger: Logger;
  /** Largest batch per transaction. Default 500. */
  batchSize?: number;
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
}

class GenerationChanged extends Error {
  override readonly name = 'GenerationChanged';
}

const RETRY_MS = 1000;

/**
 * Follows the event log into the read models. Each batch's change and checkpoint commit in
 * one transaction, and the batch is refused if a rebuild swapped the generation meanwhile:
 * the projector then resumes from the new generation's checkpoint.
 */
export function createProjector(deps: ProjectorDeps): Projector {
  const { store, database, logger } = deps;
  const batchSize = deps.batchSize ?? 500;
  let schema = '';
  let position = 0n;
  let subscription: Subscription | null = null;
  let resolver: GenerationResolver | null = null;
  let stopped = true;
  let retryTimer: NodeJS.Timeout | null = null;
  const waiters = new Set<{ position: bigint; resolve: (reached: boolean) => void }>();

  const reach = (next: bigint) => {
    position = next;
    for (const waiter of waiters) {
      if (position >= waiter.position) {
        waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  };

  const handle = async (events: RecordedEvent[]) => {
    const checkpoint = await database.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ schema_name: string }>`
        select schema_name from ${pointerTable(database)} where id = 1 for share`.execute(trx);
      if (rows[0]?.schema_name !== schema) throw new GenerationChanged(rows[0]?.schema_name);
      return applyEvents(trx, schema, events);
    });
    reach(checkpoint);
    logger.debug({ events: events.length, position: checkpoint.toString() }, 'batch projected');
  };

  const follow = async () => {
    const pointer = await ensureReadModels(database);
    schema = pointer.schema;
    resolver?.swapped(schema);
    reach(await checkpointOf(database.db, schema));
    logger.info({ schema, position: position.toString() }, 'projector following the event log');
    const current = store.subscribe({ after: position, batchSize, handle });
    subscription = current;
    current.done.then(
      () => {},
      (error: unknown) => {
        if (stopped || subscription !== current) return;
        const swapped = error instanceof GenerationChanged;
        if (swapped) logger.info({ schema: error.message }, 'read-model generation swapped; resuming there');
        else logger.error({ err: error, position: position.toString() }, 'projection failed; retrying');
        retryTimer = setTimeout(
          () => {
            retryTimer = null;
            if (!stopped)
              follow().catch((e: unknown) => logger.error({ err: e }, 'projector could not resume'));
          },
          swapped ? 0 : RETRY_MS,
        );
      },
    );
  };

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
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
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = subscription;
      subscription = null;
      await current?.stop();
      for (const waiter of waiters) waiter.resolve(position >= waiter.position);
      waiters.clear();
    },
    get position() {
      return position;
    },
    waitFor(target, timeoutMs) {
      if (position >= target) return Promise.resolve(true);
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
