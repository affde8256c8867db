import { createHash } from 'node:crypto';
import type { DecodedEvent } from './metadata';

/**
 * Exact idempotency on a store that only de-duplicates on a best-effort basis (ADR 0003).
 *
 * Each idempotency key (an event id; a source system and record id) has an index stream
 * holding "claims": the claim names the stream and revision where the keyed event goes, and
 * is written BEFORE the event. The event stream stays the only truth: a claim counts only
 * when the event it names is really at that slot. A crash between the claim and the event
 * leaves a claim whose slot is empty or holds another event; the next append with that key
 * finds it stale and claims again (with an expected revision on the index stream, so two
 * racing appenders cannot both take it over).
 */

/** Prefix of every index stream; readers of `$all` leave these streams out. */
export const INDEX_STREAM_PREFIX = 'fc-idx-';
/** Event type of a claim. */
export const CLAIM_TYPE = 'fc-claim';
/**
 * How long a claim whose event is not there yet counts as an append still in flight. Within
 * this window a different body under the same key is a conflict and the same body waits for
 * the claimant; after it, the claim is taken to be left by a crash and may be taken over.
 */
export const IN_FLIGHT_MS = 10_000;

const PLAIN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The index stream of an event id. */
export function eventIdIndexStream(eventId: string): string {
  return `${INDEX_STREAM_PREFIX}event-${PLAIN_ID.test(eventId) ? eventId : sha256(eventId)}`;
}

/** The index stream of a source record; hashed so that no separator can make two pairs collide. */
export function sourceIndexStream(source: { system: string; recordId: string }): string {
  return `${INDEX_STREAM_PREFIX}source-${sha256(`${source.system}\u0000${source.recordId}`)}`;
}

export function isIndexStream(streamId: string): boolean {
  return streamId.startsWith(INDEX_STREAM_PREFIX);
}

/** What a claim says: the keyed event `eventId` goes to `streamId` at `revision`. */
export interface Claim {
  streamId: string;
  /** Decimal string: JSON has no bigint. */
  revision: string;
  eventId: string;
  fingerprint: string;
  /** Random per call of append: an appender retrying after a lost race recognises its own claims. */
  appendId: string;
}

/** A claim as read back: the newest record of its index stream. */
export interface ClaimRecord {
  claim: Claim;
  /** Revision of the claim in its index stream (the expected revision to supersede it). */
  indexRevision: bigint;
  createdAt: Date;
}

export function parseClaim(data: unknown): Claim | null {
  if (typeof data !== 'object' || data === null) return null;
  const { streamId, revision, eventId, fingerprint, appendId } = data as Record<string, unknown>;
  if (
    typeof appendId !== 'string' ||
    typeof streamId !== 'string' ||
    typeof revision !== 'string' ||
    !/^\d+$/.test(revision) ||
    typeof eventId !== 'string' ||
    typeof fingerprint !== 'string'
  ) {
    return null;
  }
  return { streamId, revision, eventId, fingerprint, appendId };
}

/** What an appender must do about one idempotency key. */
export type Judgement =
  /** Nobody claimed the key: claim it on a new index stream. */
  | { kind: 'free' }
  /** The key's event is stored and is this very event: append nothing. */
  | { kind: 'duplicate'; event: DecodedEvent }
  /** The key belongs to a different event (stored, or being appended right now). */
  | { kind: 'conflict'; detail: string }
  /** Another append of this very event is in flight: wait for it, then it is a duplicate. */
  | { kind: 'pending' }
  /** A claim whose event never arrived: supersede it (expected index revision given). */
  | { kind: 'stale'; indexRevision: bigint };

/**
 * Judges one key. `slot` is what the event stream holds at the claim's revision (null:
 * nothing yet). The same fingerprint in the same stream is the same event, whichever event
 * id a re-sent source record carries.
 */
export function judgeClaim(
  mine: { streamId: string; fingerprint: string; appendId: string },
  record: ClaimRecord | null,
  slot: DecodedEvent | null,
  now: Date,
  inFlightMs = IN_FLIGHT_MS,
): Judgement {
  if (!record) return { kind: 'free' };
  const { claim } = record;
  if (slot && slot.eventId === claim.eventId && slot.streamId === claim.streamId) {
    if (slot.streamId === mine.streamId && slot.fingerprint === mine.fingerprint) {
      return { kind: 'duplicate', event: slot };
    }
    return {
      kind: 'conflict',
      detail: `already stored as event ${slot.eventId} in ${slot.streamId} at version ${slot.version} with a different body`,
    };
  }
  const stale = { kind: 'stale', indexRevision: record.indexRevision } as const;
  // Our own claim from a lost race, or a slot another event took: that claim can never be met.
  if (claim.appendId === mine.appendId || slot) return stale;
  if (now.getTime() - record.createdAt.getTime() >= inFlightMs) return stale;
  const same = claim.streamId === mine.streamId && claim.fingerprint === mine.fingerprint;
  return same
    ? { kind: 'pending' }
    : { kind: 'conflict', detail: `a different event with this key is being appended to ${claim.streamId}` };
}

/** The outcome for one event, from the judgements of its keys. */
export type EventOutcome =
  | { kind: 'new'; claims: Array<{ stream: string; expected: 'no_stream' | bigint }> }
  | { kind: 'duplicate'; event: DecodedEvent }
  | { kind: 'pending' }
  | { kind: 'conflict'; key: 'eventId' | 'source'; detail: string };

export function combine(
  keys: Array<{ key: 'eventId' | 'source'; stream: string; judgement: Judgement }>,
): EventOutcome {
  for (const { key, judgement } of keys) {
    if (judgement.kind === 'conflict') return { kind: 'conflict', key, detail: judgement.detail };
  }
  const duplicates = keys.flatMap(({ judgement }) =>
    judgement.kind === 'duplicate' ? [judgement.event] : [],
  );
  const first = duplicates[0];
  if (first) {
    const other = duplicates.find((event) => event.eventId !== first.eventId);
    if (other) {
      return {
        kind: 'conflict',
        key: 'source',
        detail: `the event id and the source record name two different stored events (${first.eventId}, ${other.eventId})`,
      };
    }
    return { kind: 'duplicate', event: first };
  }
  if (keys.some(({ judgement }) => judgement.kind === 'pending')) return { kind: 'pending' };
  return {
    kind: 'new',
    claims: keys.map(({ stream, judgement }) => ({
      stream,
      expected: judgement.kind === 'stale' ? judgement.indexRevision : 'no_stream',
    })),
  };
}
