export { AppendTooLargeError, IdempotencyConflictError, WrongExpectedVersionError } from './errors';
export type { EventStoreDbOptions } from './eventstoredb/eventstoredb.adapter';
export {
  canonicalJson,
  chainEvent,
  computeEventHash,
  fingerprintOf,
  GENESIS_HASH,
  type HashedEvent,
  hashEvent,
  LedgerDigester,
  type PreparedEvent,
  prepareEvent,
  verifyChain,
} from './hash-chain';
export {
  EVENTSTORE_URL_FORMAT,
  type EventStoreKind,
  isEventStoreDbUrl,
  openEventStore,
} from './open-event-store';
export type {
  AppendedEvent,
  AppendResult,
  CheckedEvent,
  EventStore,
  ExpectedVersion,
  LedgerDigest,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  VerifiedStream,
  VerifyResult,
} from './port';
export { createPostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export { PollingSubscription, type SubscriptionSource } from './subscription';
