/** The stream's version was not what the appender expected. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  /** The stable error code (packages/domain/src/shared/errors.ts) the HTTP layer answers with. */
  readonly code = 'EXPECTED_VERSION_MISMATCH';
  constructor(
    readonly streamId: string,
    readonly expected: string | number,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${expected}`);
  }
}

/** An event id (or a source record id) was used before for a different event. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  /** EVENT_ID_CONFLICT or SOURCE_RECORD_CONFLICT, after the key that collided. */
  readonly code: 'EVENT_ID_CONFLICT' | 'SOURCE_RECORD_CONFLICT';
  constructor(
    readonly key: { eventId: string } | { sourceSystem: string; sourceRecordId: string },
    readonly detail: string,
  ) {
    super(detail);
    this.code = 'eventId' in key ? 'EVENT_ID_CONFLICT' : 'SOURCE_RECORD_CONFLICT';
  }
}

/**
 * An append larger than EventStoreDB takes in one go (its MaxAppendSize). PostgreSQL has no
 * such limit, so the same batch may pass there: split it.
 */
export class AppendTooLargeError extends RangeError {
  override readonly name = 'AppendTooLargeError';
  /** The stable error code (packages/domain/src/shared/errors.ts) the HTTP layer answers with. */
  readonly code = 'APPEND_TOO_LARGE';
  constructor(
    readonly streamId: string,
    /** The append's size as the server counts it (`appendSize`). */
    readonly bytes: number,
    /** The largest append the server takes. */
    readonly limit: number,
  ) {
    super(
      `an append of ${bytes} bytes to ${streamId} is larger than EventStoreDB's maximum append size of ${limit} bytes; split the batch`,
    );
  }
}
