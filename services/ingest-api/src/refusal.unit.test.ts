import { ERRORS } from '@fengcheng/domain';
import {
  AppendTooLargeError,
  IdempotencyConflictError,
  WrongExpectedVersionError,
} from '@fengcheng/event-store';
import { describe, expect, it } from 'vitest';
import { refusalOf } from './ingest';

describe('the refusal an event-store error is answered with', () => {
  it('answers an append larger than the event store takes with 413 APPEND_TOO_LARGE, naming size and limit (it was a 500)', () => {
    const refusal = refusalOf(new AppendTooLargeError('case-1', 1_300_000, 1_048_576));
    expect(refusal).toMatchObject({
      code: 'APPEND_TOO_LARGE',
      status: 413,
      extra: { streamId: 'case-1', bytes: 1_300_000, limit: 1_048_576 },
    });
    expect(ERRORS.APPEND_TOO_LARGE.status).toBe(413);
    expect(refusal?.detail).toContain('split the batch');
  });

  it('keeps the codes of a stale expected version and an idempotency conflict, and nothing for anything else', () => {
    expect(refusalOf(new WrongExpectedVersionError('case-1', 2, 3))?.code).toBe('EXPECTED_VERSION_MISMATCH');
    expect(refusalOf(new IdempotencyConflictError({ eventId: 'e' }, 'taken'))?.code).toBe(
      'EVENT_ID_CONFLICT',
    );
    expect(refusalOf(new Error('boom'))).toBeNull();
  });
});
