import {
  EVENTSTORE_URL_FORMAT,
  type EventStore,
  type EventStoreKind,
  isEventStoreDbUrl,
  openEventStore,
} from '@fengcheng/event-store';
import type { Database, Logger } from '@fengcheng/platform';

/**
 * Opens the event store a rebuild reads, chosen as the projector chooses its own: EventStoreDB
 * when `--eventstore-url` or EVENTSTORE_URL names one, otherwise the PostgreSQL event store in
 * `database`. Reading the PostgreSQL table of an EventStoreDB install would rebuild from nothing.
 * Throws naming the option or variable when it is not an `esdb://` connection string.
 */
export async function openRebuildStore(options: {
  database: Database;
  logger: Logger;
  /** `--eventstore-url`; wins over EVENTSTORE_URL. */
  eventstoreUrl?: string | undefined;
  env?: NodeJS.ProcessEnv;
}): Promise<{ store: EventStore; kind: EventStoreKind }> {
  const given = options.eventstoreUrl?.trim() || undefined;
  const fromEnv = (options.env ?? process.env).EVENTSTORE_URL?.trim() || undefined;
  const eventstoreUrl = given ?? fromEnv;
  if (eventstoreUrl !== undefined && !isEventStoreDbUrl(eventstoreUrl)) {
    const name = given === undefined ? 'EVENTSTORE_URL' : '--eventstore-url';
    // Not echoed: a connection string may carry a password.
    throw new Error(`${name} must be ${EVENTSTORE_URL_FORMAT}`);
  }
  return openEventStore({ eventstoreUrl, database: options.database, logger: options.logger });
}
