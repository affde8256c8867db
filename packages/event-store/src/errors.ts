/** The stream's version was not what the appender expected. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
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
  constructor(
    readonly key: { eventId: string } | { sourceSystem: string; sourceRecordId: string },
    readonly detail: string,
  ) {
    super(detail);
  }
}
