import type { RecordedEvent } from '../port';

/**
 * How a Fengcheng event sits in an EventStoreDB record (ADR 0003): `data` is the event's
 * data unchanged; the record's metadata carries everything else the port promises, with
 * the hash chain (`prevHash`, `hash`) and the idempotency `fingerprint`.
 */
export interface StoredMetadata {
  /** Marks records written by this adapter; anything else in `$all` is not ours. */
  fc: 1;
  /** The port's event id, a UUID: the record's own id is the same UUID. */
  eventId: string;
  occurredAt: string;
  recordedAt: string;
  source: { system: string; recordId: string } | null;
  prevHash: string;
  hash: string;
  fingerprint: string;
  /** The version after the append this event came in: a replay of part of it answers that. */
  appendEnd: number;
  metadata: Record<string, unknown>;
}

/** A decoded record: the port's event plus the fingerprint idempotency compares. */
export type DecodedEvent = RecordedEvent & { fingerprint: string; appendEnd: number };

/** What decoding needs from an EventStoreDB record (a subset of the client's RecordedEvent). */
export interface RawRecord {
  streamId: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: unknown;
}

export function encodeMetadata(input: Omit<StoredMetadata, 'fc'>): StoredMetadata {
  return { fc: 1, ...input };
}

/** A plain JSON object: binary data (a Uint8Array) and arrays are not events' data. */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isSource(value: unknown): value is { system: string; recordId: string } | null {
  return (
    value === null ||
    (isRecord(value) && typeof value.system === 'string' && typeof value.recordId === 'string')
  );
}

/** Our metadata, or null when the record was not written by this adapter. */
export function decodeMetadata(raw: unknown): StoredMetadata | null {
  if (!isRecord(raw) || raw.fc !== 1) return null;
  const { eventId, occurredAt, recordedAt, source, prevHash, hash, fingerprint, appendEnd, metadata } = raw;
  if (
    typeof eventId !== 'string' ||
    typeof occurredAt !== 'string' ||
    typeof recordedAt !== 'string' ||
    typeof prevHash !== 'string' ||
    typeof hash !== 'string' ||
    typeof fingerprint !== 'string' ||
    typeof appendEnd !== 'number' ||
    !isSource(source) ||
    !isRecord(metadata)
  ) {
    return null;
  }
  return { fc: 1, eventId, occurredAt, recordedAt, source, prevHash, hash, fingerprint, appendEnd, metadata };
}

/**
 * The port's event from a record and its already-encoded position; null when the record
 * is not one of ours (a foreign writer, a system or index record).
 */
export function decodeRecord(record: RawRecord, position: bigint): DecodedEvent | null {
  const meta = decodeMetadata(record.metadata);
  if (!meta || !isRecord(record.data)) return null;
  return {
    eventId: meta.eventId,
    streamId: record.streamId,
    version: Number(record.revision + 1n),
    position,
    type: record.type,
    occurredAt: meta.occurredAt,
    recordedAt: meta.recordedAt,
    data: record.data,
    metadata: meta.metadata,
    source: meta.source,
    prevHash: meta.prevHash,
    hash: meta.hash,
    fingerprint: meta.fingerprint,
    appendEnd: meta.appendEnd,
  };
}
