/**
 * The event-store port: what every adapter (PostgreSQL/PGlite, EventStoreDB) promises.
 *
 * Versions count a stream's events: the first event of a stream has version 1, and a
 * stream that does not exist is at version 0. Global positions are 64-bit and only ever
 * compared, never counted: they are `bigint`, and gaps between them mean nothing.
 */

/** What an appender expects the stream's current version to be. */
export type ExpectedVersion =
  /** No check. */
  | 'any'
  /** The stream must not exist yet (same as 0). */
  | 'no_stream'
  /** The stream must have at least one event. */
  | 'stream_exists'
  /** The stream's current version must be exactly this. */
  | number;

/** An event as an appender hands it over. */
export interface NewEvent {
  /** A UUID, in either case: stores keep it, and answer it, in lower case. */
  eventId: string;
  type: string;
  /** ISO-8601 with offset, when the fact happened in the world. */
  occurredAt: string;
  data: Record<string, unknown>;
  /** Server-added facts (organisation, key, correlation id, schema version …). Not part of the idempotency fingerprint. */
  metadata?: Record<string, unknown>;
  /** A second idempotency key from the sender's own system. */
  source?: { system: string; recordId: string };
}

/** An event as stored: immutable, hash-chained within its stream. */
export interface RecordedEvent {
  eventId: string;
  streamId: string;
  version: number;
  position: bigint;
  type: string;
  occurredAt: string;
  /** ISO-8601 UTC, when the store accepted it. */
  recordedAt: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  source: { system: string; recordId: string } | null;
  prevHash: string;
  hash: string;
}

export interface AppendedEvent {
  eventId: string;
  version: number;
  position: bigint;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after this append (for a replay: after the original append's last event). */
  version: number;
  events: AppendedEvent[];
  /** True when every event had been appended before and nothing new was written. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  /** First version to return (inclusive). Default 1. */
  fromVersion?: number;
  /** Last version to return (inclusive). */
  toVersion?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position. Default: from the start. */
  after?: bigint;
  /** At most this many events. Default 1000. */
  limit?: number;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a checkpoint). Default: from the start. */
  after?: bigint;
  /** Largest batch handed to `handle`. Default 500. */
  batchSize?: number;
  /**
   * Called with each batch, in position order. The next batch is read only after this
   * resolves; if it throws, the subscription stops and `done` rejects.
   */
  handle: (events: RecordedEvent[]) => Promise<void>;
}

export interface Subscription {
  /** Stops reading; resolves once the batch in flight (if any) is handled. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves after stop(), rejects on failure. */
  readonly done: Promise<void>;
  /** Position of the last event handed to `handle`. */
  readonly position: bigint;
  /** Resolves once the subscription has handled every event up to `position`. */
  waitFor(position: bigint, timeoutMs?: number): Promise<boolean>;
}

export type VerifyResult =
  | { ok: true; streamId: string; events: number; head: string }
  | {
      ok: false;
      streamId: string;
      events: number;
      /** The first version whose link does not hold. */
      brokenAt: number;
      reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'version_gap';
    };

export interface VerifiedStream {
  events: RecordedEvent[];
  verification: VerifyResult;
}

/**
 * An event of the global log, and whether it is as it was appended: its own hash recomputes
 * from what the store holds, and the store files it under the stream and version it names.
 */
export interface CheckedEvent {
  event: RecordedEvent;
  intact: boolean;
}

export interface LedgerDigest {
  events: number;
  lastPosition: bigint;
  /** SHA-256 over every event's position and hash, in position order. */
  digest: string;
}

export interface EventStore {
  /** Appends events to one stream atomically: all or none. */
  append(
    streamId: string,
    events: NewEvent[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stream's current version, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /** Reads the global log in position order; never returns an event a later read could precede. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The position of the newest event a reader can see, 0n when the log is empty. */
  headPosition(): Promise<bigint>;
  /** Catches up from a checkpoint, then follows new events live. */
  subscribe(options: SubscribeOptions): Subscription;
  verifyStream(streamId: string): Promise<VerifyResult>;
  /** A whole stream and its chain checked over exactly the events returned, in one read. */
  readVerifiedStream(streamId: string): Promise<VerifiedStream>;
  /** `readAll`, each event with whether it is intact (the links between events are the caller's to check). */
  readAllChecked(options?: ReadAllOptions): Promise<CheckedEvent[]>;
  ledgerDigest(options?: { upTo?: bigint }): Promise<LedgerDigest>;
  close(): Promise<void>;
}
