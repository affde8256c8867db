import {
  ErrorType,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
} from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { AppendTooLargeError, WrongExpectedVersionError } from '../errors';
import { isStreamNotFound, isTransient, translateAppendError } from './errors';

describe('error translation', () => {
  it("turns EventStoreDB's wrong expected version into the port's, in versions", () => {
    const esdb = new EsdbWrongExpectedVersionError(undefined, {
      streamName: 'case-1',
      expected: 2n,
      current: 4n,
    });
    const translated = translateAppendError(esdb, 'case-1', 3);
    expect(translated).toBeInstanceOf(WrongExpectedVersionError);
    expect(translated).toMatchObject({ streamId: 'case-1', expected: 3, actual: 5 });
  });

  it('reports a stream that does not exist as version 0', () => {
    const esdb = new EsdbWrongExpectedVersionError(undefined, {
      streamName: 'case-2',
      expected: 'stream_exists',
      current: NO_STREAM,
    });
    expect(translateAppendError(esdb, 'case-2', 'stream_exists')).toMatchObject({
      name: 'WrongExpectedVersionError',
      expected: 'stream_exists',
      actual: 0,
    });
  });

  it('refuses to hide a deleted stream behind a version error', () => {
    const translated = translateAppendError(StreamDeletedError.fromStreamName('case-3'), 'case-3', 'any');
    expect(translated).toBeInstanceOf(Error);
    expect(translated).not.toBeInstanceOf(WrongExpectedVersionError);
    expect((translated as Error).message).toBe(
      'stream case-3 was deleted in EventStoreDB; the ledger refuses to write to it',
    );
  });

  it("turns the server's refusal of a large append into AppendTooLargeError, naming size and limit", () => {
    const translated = translateAppendError(
      new MaxAppendSizeExceededError(undefined, 524_288),
      'case-6',
      'any',
      600_000,
    );
    expect(translated).toBeInstanceOf(AppendTooLargeError);
    expect(translated).toBeInstanceOf(RangeError);
    expect(translated).toMatchObject({ streamId: 'case-6', bytes: 600_000, limit: 524_288 });
    expect((translated as Error).message).toBe(
      "an append of 600000 bytes to case-6 is larger than EventStoreDB's maximum append size of 524288 bytes; split the batch",
    );
  });

  it('passes unknown errors through unchanged', () => {
    const error = new Error('socket hang up');
    expect(translateAppendError(error, 'case-4', 'any')).toBe(error);
  });

  it('recognises a missing stream and transient failures', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'case-5'))).toBe(true);
    expect(isStreamNotFound(new Error('x'))).toBe(false);
    const unavailable = new UnavailableError();
    expect(unavailable.type).toBe(ErrorType.UNAVAILABLE);
    expect(isTransient(unavailable)).toBe(true);
    expect(isTransient(new StreamNotFoundError(undefined, 'case-5'))).toBe(false);
    expect(isTransient('nope')).toBe(false);
  });
});
