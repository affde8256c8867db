import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import type { RecordedEvent } from '../port';

/** An intact hash chain of `count` visits to `case-1`, versions and positions 1..count (tests only). */
export function chainOf(count: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let version = 1; version <= count; version++) {
    const body = {
      eventId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
      streamId: 'case-1',
      version,
      type: 'VisitRecorded',
      occurredAt: '2026-11-20T09:30:00+08:00',
      recordedAt: '2026-11-20T01:30:00.000Z',
      data: { n: version },
      metadata: {},
      source: null,
      prevHash,
    };
    const hash = computeEventHash(body);
    events.push({ ...body, position: BigInt(version), hash });
    prevHash = hash;
  }
  return events;
}
