import { describe, expect, it } from 'vitest';
import { computeEventHash } from '../hash-chain';
import type { RecordedEvent } from '../port';
import { chainOf } from '../testing/chain';
import { brokenRead } from './stream-read';

describe('a stream read', () => {
  it('is unbroken when it starts where asked and every link holds', () => {
    const events = chainOf(5);
    expect(brokenRead(events, 1)).toBeNull();
    expect(brokenRead(events.slice(2), 3)).toBeNull();
    expect(brokenRead([], 1)).toBeNull();
  });

  it('is broken when its start is cut off, though every event left is intact', () => {
    const events = chainOf(5);
    expect(brokenRead(events.slice(2), 1)).toEqual({
      version: 1,
      reason:
        'the read starts at version 3, not 1: the start of the stream is hidden (stream metadata or a soft delete)',
    });
    expect(brokenRead(events.slice(3), 2)?.version).toBe(2);
  });

  it('is broken where a version is missing', () => {
    const [a, b, , d] = chainOf(4) as [RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent];
    expect(brokenRead([a, b, d], 1)).toEqual({
      version: 3,
      reason: 'version 3 is missing (version 4 follows 2)',
    });
  });

  it('is broken where a link or a hash is false', () => {
    const events = chainOf(3);
    const relinked = events.map((event, i) => (i === 1 ? { ...event, prevHash: 'f'.repeat(64) } : event));
    expect(brokenRead(relinked, 1)?.version).toBe(2);
    const altered = events.map((event, i) => (i === 2 ? { ...event, data: { visit: 99 } } : event));
    expect(brokenRead(altered, 1)).toEqual({ version: 3, reason: 'its hash does not recompute' });
    const first = { ...(events[0] as RecordedEvent), prevHash: 'a'.repeat(64) };
    expect(brokenRead([{ ...first, hash: computeEventHash(first) }], 1)?.version).toBe(1);
  });
});
