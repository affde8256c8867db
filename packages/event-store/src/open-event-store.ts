import type { Database, Logger } from '@fengcheng/platform';
import type { EventStore } from './port';
import { createPostgresEventStore } from './postgres/postgres-event-store';

export type EventStoreKind = 'eventstoredb' | 'postgres';

/**
 * The one place a service chooses its event store: EventStoreDB when `eventstoreUrl`
 * (EVENTSTORE_URL, `esdb://…`) is given, otherwise the PostgreSQL store in `database`
 * (a Postgres server or embedded PGlite).
 */
export async function openEventStore(options: {
  eventstoreUrl?: string | undefined;
  database: Database;
  logger: Logger;
  clock?: () => Date;
  /** The projector's checkpoint, read again on every resubscription (EventStoreDB only). */
  checkpointStore?: { load(): Promise<bigint | null> };
  /** Where EVENTSTORE_MAX_APPEND_SIZE is read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** What the refusal of a malformed `eventstoreUrl` calls it (default EVENTSTORE_URL; a command's option, say). */
  eventstoreUrlName?: string;
}): Promise<{ store: EventStore; kind: EventStoreKind }> {
  const name = options.eventstoreUrlName ?? 'EVENTSTORE_URL';
  // Blank is unset; anything else must be a URL the client parses, refused here for every caller
  // (the all-in-one has no config of its own to check it) and without echoing it: it may hold a password.
  const eventstoreUrl = options.eventstoreUrl?.trim() || undefined;
  if (eventstoreUrl !== undefined && !isEventStoreDbUrl(eventstoreUrl)) {
    throw new Error(`${name} must be ${EVENTSTORE_URL_FORMAT}`);
  }
  if (eventstoreUrl) {
    // Loaded only when asked for: the gRPC client costs memory and start-up time in every process.
    const { createEventStoreDbEventStore } = await import('./eventstoredb/eventstoredb.adapter');
    const maxAppendSize = maxAppendSizeOf(options.env ?? process.env);
    let store: EventStore;
    try {
      store = createEventStoreDbEventStore({
        connectionString: eventstoreUrl,
        ...(maxAppendSize !== undefined ? { maxAppendSize } : {}),
        logger: options.logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.checkpointStore ? { checkpointStore: options.checkpointStore } : {}),
      });
    } catch (error) {
      // The scheme passed isEventStoreDbUrl; the rest (a port, a setting) the client's parser refused.
      throw new Error(`${name} must be ${EVENTSTORE_URL_FORMAT}; the client could not parse it`, {
        cause: error,
      });
    }
    options.logger.info({ eventStore: 'eventstoredb' }, 'event store: EventStoreDB');
    return { store, kind: 'eventstoredb' };
  }
  const store = await createPostgresEventStore(options.database, {
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  options.logger.info({ eventStore: 'postgres', backend: options.database.kind }, 'event store: PostgreSQL');
  return { store, kind: 'postgres' };
}

/**
 * EVENTSTORE_MAX_APPEND_SIZE: the server's MaxAppendSize in bytes, for the adapter to refuse a
 * larger append before it writes anything (ADR 0003); 1 MiB, the server's default, when unset.
 * Set it with the server's.
 */
function maxAppendSizeOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.EVENTSTORE_MAX_APPEND_SIZE?.trim();
  if (!value) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value)) {
    throw new Error(
      `EVENTSTORE_MAX_APPEND_SIZE must be a whole number of bytes, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** What `isEventStoreDbUrl` accepts, for the messages that refuse a value. */
export const EVENTSTORE_URL_FORMAT = 'an esdb:// or esdb+discover:// connection string';

/**
 * Whether an EVENTSTORE_URL has a scheme the EventStoreDB client opens: `esdb://` or
 * `esdb+discover://`, the only ones its parser knows, which it reads after trimming whitespace
 * and trailing slashes. (`kurrentdb://` comes with `@kurrent/kurrentdb-client`; see ADR 0003.)
 * Every config that takes the variable checks it with this at boot; what else the client's
 * parser refuses (a port that is no number, an unknown setting) `openEventStore` reports under
 * the variable's name, as it loads the client only then.
 */
export function isEventStoreDbUrl(value: string): boolean {
  return /^esdb(\+discover)?:\/\/\S+$/.test(value.trim().replace(/\/+$/, ''));
}
