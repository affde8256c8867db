import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { LedgerDigest, NewEvent, RecordedEvent, VerifyResult } from './port';

/** The prevHash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What the hash covers: the stored event without its hash and without its global position. */
export type HashedEvent = Omit<RecordedEvent, 'position' | 'hash'>;

export function sha256hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** RFC 8785 canonical JSON. Throws on values JSON cannot carry (NaN, Infinity, lone surrogates). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/**
 * Exactly the ten hashed fields, so that extra properties an adapter carries (position,
 * hash, driver fields) can never change an event's hash.
 */
export function hashedPart(event: HashedEvent): HashedEvent {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    version: event.version,
    type: event.type,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    data: event.data,
    metadata: event.metadata,
    source: event.source,
    prevHash: event.prevHash,
  };
}

/** The canonical JSON the hash covers, and the hash itself: sha256hex(prevHash + canonical). */
export function hashEvent(event: HashedEvent): { canonical: string; hash: string } {
  const canonical = canonicalJson(hashedPart(event));
  return { canonical, hash: sha256hex(event.prevHash + canonical) };
}

/** sha256hex(prevHash + RFC 8785 JSON of the event without hash and position). */
export function computeEventHash(event: HashedEvent): string {
  return hashEvent(event).hash;
}

/**
 * The idempotency fingerprint: what makes two appends of one eventId (or one source
 * record) "the same event". Metadata (key, correlation id, recordedAt) is left out, so a
 * retry through another request still matches.
 */
export function fingerprintOf(streamId: string, event: NewEvent): string {
  return sha256hex(
    canonicalJson({
      streamId,
      type: event.type,
      occurredAt: event.occurredAt,
      data: event.data,
      source: event.source ? { system: event.source.system, recordId: event.source.recordId } : null,
    }),
  );
}

/**
 * Checks one stream's chain, oldest first: contiguous versions from 1, each prevHash the
 * hash before it, each hash recomputed. Names the first version whose link does not hold.
 */
export function verifyChain(events: readonly RecordedEvent[], streamId?: string): VerifyResult {
  const id = streamId ?? events[0]?.streamId ?? '';
  let previous = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as RecordedEvent;
    const broken = (brokenAt: number, reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'version_gap') =>
      ({ ok: false, streamId: id, events: events.length, brokenAt, reason }) as const;
    if (event.version !== i + 1) return broken(i + 1, 'version_gap');
    if (event.prevHash !== previous) return broken(event.version, 'prev_hash_mismatch');
    // An event that names another stream was moved here: its link is as false as a bad hash.
    if (event.streamId !== id || computeEventHash(event) !== event.hash) {
      return broken(event.version, 'hash_mismatch');
    }
    previous = event.hash;
  }
  return { ok: true, streamId: id, events: events.length, head: previous };
}

/**
 * The running digest over the global log: sha256 over `position:hash\n` for every event in
 * position order. Reordering, altering (hash) or truncating the log changes it.
 */
export class LedgerDigester {
  private readonly sha = createHash('sha256');
  private count = 0;
  private last = 0n;

  add(position: bigint, hash: string): void {
    if (position <= this.last && this.count > 0) {
      throw new RangeError(`ledger positions must increase: ${position} after ${this.last}`);
    }
    this.sha.update(`${position}:${hash}\n`);
    this.count++;
    this.last = position;
  }

  result(): LedgerDigest {
    return { events: this.count, lastPosition: this.last, digest: this.sha.copy().digest('hex') };
  }
}
