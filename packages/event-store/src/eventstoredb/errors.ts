import {
  ErrorType,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { AppendTooLargeError, WrongExpectedVersionError } from '../errors';
import type { ExpectedVersion } from '../port';
import { versionOfCurrentRevision } from './positions';

/** Client errors a caller may retry: the node is gone, not the leader, or slow. */
const TRANSIENT: ReadonlySet<string> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
]);

function typeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  return typeof error.type === 'string' ? error.type : undefined;
}

/** Whether an EventStoreDB error says the stream has no events (reads answer empty). */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof StreamNotFoundError || typeOf(error) === ErrorType.STREAM_NOT_FOUND;
}

/** Whether the error is worth a retry or a resubscription (connection-level, not a refusal). */
export function isTransient(error: unknown): boolean {
  const type = typeOf(error);
  return type !== undefined && TRANSIENT.has(type);
}

/**
 * The port's error for an EventStoreDB error on an append to `streamId` of `bytes` (as
 * `appendSize` counts them). Unknown errors pass through unchanged: hiding a transport failure
 * behind a domain error would mislead.
 */
export function translateAppendError(
  error: unknown,
  streamId: string,
  expected: ExpectedVersion,
  bytes = 0,
): unknown {
  if (
    error instanceof MaxAppendSizeExceededError ||
    typeOf(error) === ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED
  ) {
    // The server's limit is below the adapter's maxAppendSize option: the same refusal, later.
    const limit = (error as MaxAppendSizeExceededError).maxAppendSize;
    return new AppendTooLargeError(streamId, bytes, Number.isSafeInteger(limit) ? limit : 0);
  }
  if (error instanceof EsdbWrongExpectedVersionError || typeOf(error) === ErrorType.WRONG_EXPECTED_VERSION) {
    const actual = (error as EsdbWrongExpectedVersionError).actualVersion;
    return new WrongExpectedVersionError(streamId, expected, versionOfCurrentRevision(actual));
  }
  if (error instanceof StreamDeletedError || typeOf(error) === ErrorType.STREAM_DELETED) {
    // Fengcheng never deletes a stream; a tombstone means someone went around the ledger.
    return new Error(`stream ${streamId} was deleted in EventStoreDB; the ledger refuses to write to it`, {
      cause: error,
    });
  }
  return error;
}
