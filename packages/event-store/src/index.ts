export { IdempotencyConflictError, WrongExpectedVersionError } from './errors';
export type {
  AppendedEvent,
  AppendResult,
  EventStore,
  ExpectedVersion,
  LedgerDigest,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  VerifyResult,
} from './port';
