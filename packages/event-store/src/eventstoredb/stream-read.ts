import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import type { RecordedEvent } from '../port';

/** Where a stream read breaks, and how. */
export interface BrokenRead {
  version: number;
  reason: string;
}

/**
 * Whether the events of a stream read from `fromVersion` are an unbroken piece of the chain:
 * the first one at `fromVersion`, the rest consecutive, each linked to the one before (the
 * first to the genesis hash when it is version 1) and each hash recomputing. EventStoreDB can
 * hide a stream's start behind stream metadata (`$tb`, `$maxCount`, `$maxAge`) or a soft delete
 * and read what is left without complaint; each remaining event is intact, so only the
 * versions tell. Null when nothing is broken.
 */
export function brokenRead(events: readonly RecordedEvent[], fromVersion: number): BrokenRead | null {
  let previous: RecordedEvent | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as RecordedEvent;
    const expected = fromVersion + i;
    if (event.version !== expected) {
      return {
        version: expected,
        reason:
          i === 0
            ? `the read starts at version ${event.version}, not ${expected}: the start of the stream is hidden (stream metadata or a soft delete)`
            : `version ${expected} is missing (version ${event.version} follows ${expected - 1})`,
      };
    }
    const linked = previous
      ? event.prevHash === previous.hash
      : expected !== 1 || event.prevHash === GENESIS_HASH;
    if (!linked) return { version: expected, reason: 'its prevHash is not the hash of the event before it' };
    if (computeEventHash(event) !== event.hash)
      return { version: expected, reason: 'its hash does not recompute' };
    previous = event;
  }
  return null;
}
