import { describe, expect, it } from 'vitest';
import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import type { RecordedEvent } from '../port';
import { brokenRead } from './stream-read';

/** An intact chain of `n` events, versions 1..n. */
function chain(n: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let version = 1; version <= n; version++) {
    const hashed = {
      eventId: `00000000-0000-4000-8000-00000000000${version}`,
      streamId: 'case-1',
      version,
      type: 'VisitRecorded',
      occurredAt: '2026-03-01T09:00:00+08:00',
      recordedAt: '2026-03-01T01:00:02.000Z',
      data: { visit: version },
      metadata: {},
      source: null,
      prevHash,
    };
    const hash = computeEventHash(hashed);
    events.push({ ...hashed, position: BigInt(version), hash });
    prevHash = hash;
  }
  return events;
}

describe('a stream read', () => {
  it('is unbroken when it starts where asked and every link holds', () => {
    const events = chain(5);
    expect(brokenRead(events, 1)).toBeNull();
    expect(brokenRead(events.slice(2), 3)).toBeNull();
    expect(brokenRead([], 1)).toBeNull();
  });

  it('is broken when its start is cut off, though every event left is intact', () => {
    const events = chain(5);
    expect(brokenRead(events.slice(2), 1)).toEqual({
      version: 1,
      reason:
        'the read starts at version 3, not 1: the start of the stream is hidden (stream metadata or a soft delete)',
    });
    expect(brokenRead(events.slice(3), 2)?.version).toBe(2);
  });

  it('is broken where a version is missing', () => {
    const [a, b, , d] = chain(4) as [RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent];
    expect(brokenRead([a, b, d], 1)).toEqual({
      version: 3,
      reason: 'version 3 is missing (version 4 follows 2)',
    });
  });

  it('is broken where a link or a hash is false', () => {
    const events = chain(3);
    const relinked = events.map((event, i) => (i === 1 ? { ...event, prevHash: 'f'.repeat(64) } : event));
    expect(brokenRead(relinked, 1)?.version).toBe(2);
    const altered = events.map((event, i) => (i === 2 ? { ...event, data: { visit: 99 } } : event));
    expect(brokenRead(altered, 1)).toEqual({ version: 3, reason: 'its hash does not recompute' });
    const first = { ...(events[0] as RecordedEvent), prevHash: 'a'.repeat(64) };
    expect(brokenRead([{ ...first, hash: computeEventHash(first) }], 1)?.version).toBe(1);
  });
});
