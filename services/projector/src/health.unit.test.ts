import { describe, expect, it } from 'vitest';
import { FAILING_MS, isReady } from './health';

describe('projector readiness', () => {
  const failing = (since: number) => ({ since, position: '42', error: 'integer out of range' });

  it('is ready while following, and not while stopping', () => {
    expect(isReady(null, false)).toBe(true);
    expect(isReady(null, true)).toBe(false);
  });

  it('stays ready through a short failure, and is not once it has failed at one position for FAILING_MS', () => {
    expect(isReady(failing(1_000), false, 1_000 + FAILING_MS - 1)).toBe(true);
    expect(isReady(failing(1_000), false, 1_000 + FAILING_MS)).toBe(false);
  });
});
