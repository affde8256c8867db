import { createHash, hash } from 'node:crypto';
import type { LedgerDigest, NewEvent, RecordedEvent, VerifyResult } from './port';

/** The prevHash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What the hash covers: the stored event without its hash and without its global position. */
export type HashedEvent = Omit<RecordedEvent, 'position' | 'hash'>;

/** The one-shot `hash` costs about half of createHash…digest per call (engines: node >= 20.19). */
export function sha256hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * RFC 8785 canonical JSON, byte for byte what the `canonicalize` package produces (a
 * property test holds it to that), at a fraction of its cost: the package scans every
 * string character in JS for lone surrogates and tracks cycles in a Set, which made
 * hashing the largest CPU cost of an append. Throws on NaN, Infinity, lone surrogates.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, 0);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * A string JSON writes as it is, between quotes: no control character (below U+0020), quote,
 * backslash or surrogate — every character in the ranges that leave those out.
 */
const VERBATIM = /^[\u0020\u0021\u0023-\u005B\u005D-\uD7FF\uE000-\uFFFF]*$/;
const MAX_DEPTH = 200;

function serializeString(text: string): string {
  // Most strings of an event (ids, codes, times, hashes, most names) need no escape: one
  // pattern test and the quotes cost half of the surrogate test and JSON.stringify.
  if (VERBATIM.test(text)) return `"${text}"`;
  if (SURROGATE.test(text) && LONE_SURROGATE.test(text)) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(text);
}

function serialize(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return serializeString(value);
    case 'number':
      if (Number.isNaN(value)) throw new Error('NaN is not allowed');
      if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
      // ECMAScript's number serialisation is the one RFC 8785 prescribes.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    case 'bigint':
      throw new TypeError('BigInt value can not be serialized in JSON');
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (depth > MAX_DEPTH) throw new RangeError('value nests too deeply (or refers to itself)');
  const object = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return serialize(object.toJSON(), depth + 1);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += serialize(value[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  const keys = Object.keys(object);
  if (keys.length === 0) return '{}';
  const shape = shapeOf(keys);
  let out = '{';
  let first = true;
  for (let i = 0; i < shape.sorted.length; i++) {
    const member = serialize(object[shape.sorted[i] as string], depth + 1);
    if (member === undefined) continue;
    // A key is checked where it is written, as before: one whose member is skipped may be anything.
    if (shape.loneSurrogates) serializeString(shape.sorted[i] as string);
    out += (first ? shape.head[i] : shape.next[i]) + member;
    first = false;
  }
  return `${out}}`;
}

/** An object's keys in the order RFC 8785 writes them, with each key's `"key":` and `,"key":` text. */
interface Shape {
  /** The keys as Object.keys lists them: what an object is matched against. */
  keys: readonly string[];
  sorted: readonly string[];
  head: readonly string[];
  next: readonly string[];
  /** Some key holds a lone surrogate: writing it must throw. */
  loneSurrogates: boolean;
}

/**
 * Known shapes by first key. Events of one type have objects of the same few shapes, so
 * sorting their keys and quoting each key again for every object (the sort alone made 8% of
 * the ingest API's garbage) is work done once. Bounded: past the limits a shape is sorted
 * every time.
 */
const shapes = new Map<string, Shape[]>();
let shapeCount = 0;
const MAX_SHAPES = 2_000;
const MAX_SHAPE_KEYS = 64;

function shapeOf(keys: string[]): Shape {
  const candidates = shapes.get(keys[0] as string);
  if (candidates) {
    for (const shape of candidates) {
      if (sameKeys(shape.keys, keys)) return shape;
    }
  }
  // Default sort compares UTF-16 code units, as RFC 8785 orders keys.
  const sorted = [...keys].sort();
  const head = sorted.map((key) => `${JSON.stringify(key)}:`);
  const shape: Shape = {
    keys,
    sorted,
    head,
    next: head.map((text) => `,${text}`),
    loneSurrogates: sorted.some((key) => SURROGATE.test(key) && LONE_SURROGATE.test(key)),
  };
  if (shapeCount < MAX_SHAPES && keys.length <= MAX_SHAPE_KEYS) {
    if (candidates) candidates.push(shape);
    else shapes.set(keys[0] as string, [shape]);
    shapeCount++;
  }
  return shape;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
 * `computeEventHash` for an event read from a store that keeps each event as the canonical
 * text it hashed (the PostgreSQL store does), without serialising the parsed event again:
 * sha256hex(prevHash + text) when that is the stored hash, since a canonical text parses and
 * serialises back to the same bytes. Otherwise the event is serialised again, so the answer
 * is always `computeEventHash`'s: the same JSON stored in another form still verifies.
 */
export function storedEventHash(event: RecordedEvent, storedText: unknown): string {
  if (typeof storedText === 'string') {
    const hash = sha256hex(event.prevHash + storedText);
    if (hash === event.hash) return hash;
  }
  return computeEventHash(event);
}

/** A new event with the canonical JSON of its parts computed once, for fingerprint and hash alike. */
export class PreparedEvent {
  #fingerprint: string | undefined;

  constructor(
    readonly event: NewEvent,
    readonly streamId: string,
    readonly metadata: Record<string, unknown>,
    readonly source: { system: string; recordId: string } | null,
    /** Canonical JSON of the parts both the fingerprint and the hash cover. */
    readonly parts: { data: string; metadata: string; source: string },
  ) {}

  /** Computed on first use: only a retry or a conflict needs it. */
  get fingerprint(): string {
    const { event, parts } = this;
    // Keys in RFC 8785 order: data, occurredAt, source, streamId, type.
    this.#fingerprint ??= sha256hex(
      `{"data":${parts.data},"occurredAt":${serializeString(event.occurredAt)},"source":${parts.source},` +
        `"streamId":${serializeString(this.streamId)},"type":${serializeString(event.type)}}`,
    );
    return this.#fingerprint;
  }
}

/**
 * Validates a new event's shape and serialises its parts; the fingerprint follows on demand.
 * The canonical text is assembled from canonical parts with the keys already in RFC 8785
 * order, so the (usually large) data object is serialised once, not once per digest.
 * `previous`, the event before it in the same append, lends its metadata text when both
 * carry the same metadata object (the events of one request do).
 */
export function prepareEvent(streamId: string, event: NewEvent, previous?: PreparedEvent): PreparedEvent {
  for (const field of ['eventId', 'type', 'occurredAt'] as const) {
    if (typeof event[field] !== 'string' || event[field].length === 0) {
      throw new TypeError(`event ${field} must be a non-empty string`);
    }
  }
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw new TypeError('event data must be an object');
  }
  const source = event.source ? { system: event.source.system, recordId: event.source.recordId } : null;
  if (source && (typeof source.system !== 'string' || typeof source.recordId !== 'string')) {
    throw new TypeError('event source must have a string system and recordId');
  }
  const metadata = event.metadata ?? {};
  return new PreparedEvent(event, streamId, metadata, source, {
    data: canonicalJson(event.data),
    metadata: previous?.metadata === metadata ? previous.parts.metadata : canonicalJson(metadata),
    source: source ? canonicalJson(source) : 'null',
  });
}

/**
 * The stored event's canonical text and hash, given its place in the chain. Equal to
 * `hashEvent` of the same event (a test holds it to that).
 */
export function chainEvent(
  prepared: PreparedEvent,
  place: { version: number; recordedAt: string; prevHash: string },
): { canonical: string; hash: string } {
  const { event, parts } = prepared;
  // Keys in RFC 8785 order: data, eventId, metadata, occurredAt, prevHash, recordedAt, source, streamId, type, version.
  // The hash covers prevHash + canonical: that text is made flat once, for the hash, and the
  // canonical text is a slice of it (V8 shares the characters), not a second copy.
  const hashed =
    `${place.prevHash}{"data":${parts.data},"eventId":${serializeString(event.eventId)},"metadata":${parts.metadata},` +
    `"occurredAt":${serializeString(event.occurredAt)},"prevHash":${serializeString(place.prevHash)},` +
    `"recordedAt":${serializeString(place.recordedAt)},"source":${parts.source},` +
    `"streamId":${serializeString(prepared.streamId)},"type":${serializeString(event.type)},` +
    `"version":${canonicalJson(place.version)}}`;
  return { canonical: hashed.slice(place.prevHash.length), hash: sha256hex(hashed) };
}

/**
 * The idempotency fingerprint: what makes two appends of one eventId (or one source
 * record) "the same event" — sha256 of the canonical {streamId, type, occurredAt, data,
 * source}. Metadata (key, correlation id) is left out, so a retry through another
 * request still matches.
 */
export function fingerprintOf(streamId: string, event: NewEvent): string {
  return prepareEvent(streamId, event).fingerprint;
}

/**
 * Checks one stream's chain, oldest first: contiguous versions from 1, each prevHash the
 * hash before it, each hash recomputed (by `hashOf`, given the event and its index; default
 * `computeEventHash`). Names the first version whose link does not hold.
 */
export function verifyChain(
  events: readonly RecordedEvent[],
  streamId?: string,
  hashOf: (event: RecordedEvent, index: number) => string = computeEventHash,
): VerifyResult {
  const id = streamId ?? events[0]?.streamId ?? '';
  let previous = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as RecordedEvent;
    const broken = (brokenAt: number, reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'version_gap') =>
      ({ ok: false, streamId: id, events: events.length, brokenAt, reason }) as const;
    if (event.version !== i + 1) return broken(i + 1, 'version_gap');
    if (event.prevHash !== previous) return broken(event.version, 'prev_hash_mismatch');
    // An event that names another stream was moved here: its link is as false as a bad hash.
    if (event.streamId !== id || hashOf(event, i) !== event.hash) {
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
