import { type EventStore, type EventStoreKind, openEventStore } from '@fengcheng/event-store';
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
  const env = options.env ?? process.env;
  const given = options.eventstoreUrl?.trim() || undefined;
  // openEventStore refuses a malformed one, naming whichever was given (and not echoing it).
  return openEventStore({
    eventstoreUrl: given ?? env.EVENTSTORE_URL,
    eventstoreUrlName: given === undefined ? 'EVENTSTORE_URL' : '--eventstore-url',
    env,
    database: options.database,
    logger: options.logger,
  });
}
