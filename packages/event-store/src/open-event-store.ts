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
}): Promise<{ store: EventStore; kind: EventStoreKind }> {
  // Blank is unset; anything else must be a URL the client parses, refused here for every caller
  // (the all-in-one has no config of its own to check it) and without echoing it: it may hold a password.
  const eventstoreUrl = options.eventstoreUrl?.trim() || undefined;
  if (eventstoreUrl !== undefined && !isEventStoreDbUrl(eventstoreUrl)) {
    throw new Error(`EVENTSTORE_URL must be ${EVENTSTORE_URL_FORMAT}`);
  }
  if (eventstoreUrl) {
    // Loaded only when asked for: the gRPC client costs memory and start-up time in every process.
    const { createEventStoreDbEventStore } = await import('./eventstoredb/eventstoredb.adapter');
    const store = createEventStoreDbEventStore({
      connectionString: eventstoreUrl,
      logger: options.logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.checkpointStore ? { checkpointStore: options.checkpointStore } : {}),
    });
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

/** What `isEventStoreDbUrl` accepts, for the messages that refuse a value. */
export const EVENTSTORE_URL_FORMAT = 'an esdb:// or esdb+discover:// connection string';

/**
 * Whether an EVENTSTORE_URL is one the EventStoreDB client can open: `esdb://` or
 * `esdb+discover://`, the only schemes its parser knows, which it reads after trimming
 * whitespace and trailing slashes. (`kurrentdb://` comes with `@kurrent/kurrentdb-client`; see
 * ADR 0003.) Every config that takes the variable checks it with this, so that a URL accepted
 * at boot does not fail later, when the store is opened.
 */
export function isEventStoreDbUrl(value: string): boolean {
  return /^esdb(\+discover)?:\/\/\S+$/.test(value.trim().replace(/\/+$/, ''));
}
