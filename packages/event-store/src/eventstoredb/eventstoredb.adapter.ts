import { randomUUID } from 'node:crypto';
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  type Position,
  type ReadRevision,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import type { Logger } from '@fengcheng/platform';
import { checkedEvents, checkedExpectedVersion } from '../append-input';
import { AppendTooLargeError, IdempotencyConflictError, WrongExpectedVersionError } from '../errors';
import { computeEventHash, fingerprintOf, GENESIS_HASH, LedgerDigester, verifyChain } from '../hash-chain';
import type {
  AppendedEvent,
  AppendResult,
  EventStore,
  ExpectedVersion,
  LedgerDigest,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  VerifiedStream,
  VerifyResult,
} from '../port';
import { appendSize, DEFAULT_MAX_APPEND_SIZE } from './append-size';
import { isStreamNotFound, translateAppendError } from './errors';
import {
  CLAIM_TYPE,
  type Claim,
  type ClaimRecord,
  combine,
  type EventOutcome,
  eventIdIndexStream,
  IN_FLIGHT_MS,
  INDEX_STREAM_PREFIX,
  isIndexStream,
  judgeClaim,
  parseClaim,
  sourceIndexStream,
} from './idempotency';
import { type DecodedEvent, decodeRecord, encodeMetadata, type RawRecord } from './metadata';
import {
  decodePosition,
  encodePosition,
  MAX_PREPARE_OFFSET,
  revisionOfVersion,
  satisfies,
  versionOfRevision,
} from './positions';
import { type Backoff, ResubscribingSubscription, type SubscriptionSource } from './resubscriber';
import { brokenRead } from './stream-read';

export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=false`, or `esdb+discover://…` for a cluster. */
  connectionString: string;
  logger: Logger;
  /**
   * The projector's durable checkpoint. When given, every (re)subscription resumes from it,
   * so a resubscription never trusts memory over what was committed with the read model.
   */
  checkpointStore?: { load(): Promise<bigint | null> };
  backoff?: Partial<Backoff>;
  /**
   * Keeps this store's streams apart from others on the same server: every stream name gets
   * this prefix, and reads of `$all` see only prefixed streams. Tests use it for a fresh store
   * on a shared server; production leaves it unset.
   */
  namespace?: string;
  /** Injected for tests; the store's notion of "now" (recordedAt, in-flight claims). */
  clock?: () => Date;
  /**
   * The server's MaxAppendSize, in bytes: a larger append is refused with AppendTooLargeError
   * before anything is written. Default 1 MiB, the server's default; set it with the server's.
   */
  maxAppendSize?: number;
}

/**
 * Server-side filter of `$all` without a namespace: leaves out EventStoreDB's own streams
 * (`$…`, which hold every system event) and our index streams, so subscribers are not sent
 * what they would drop. Readers check the same rule again on their side.
 */
const LEDGER_FILTER_REGEX = `^(?!\\$|${INDEX_STREAM_PREFIX})`;
/** How long an append keeps retrying lost races (and waits for an identical append in flight). */
const RETRY_FOR_MS = IN_FLIGHT_MS + 5_000;
/** Bytes EventStoreDB adds around each event in the log beyond what `appendSize` counts, generously; bounds the prepare offset. */
const RECORD_OVERHEAD = 512;
const PAGE = 512;

type Stored = RawRecord & { position?: Position; created: Date; id: string };

class AppendRace extends Error {}

/** The port's event: what a decoded record carries for this adapter's own use is left out. */
function toRecorded({ fingerprint: _f, appendEnd: _a, ...event }: DecodedEvent): RecordedEvent {
  return event;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the EventStoreDB adapter of the event-store port (ADR 0003). */
export function createEventStoreDbEventStore(options: EventStoreDbOptions): EventStore {
  const client = EventStoreDBClient.connectionString(options.connectionString);
  const log = options.logger.child({ component: 'eventstoredb' });
  const now = options.clock ?? (() => new Date());
  const prefix = options.namespace ? `${options.namespace}.` : '';
  const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
  if (!Number.isSafeInteger(maxAppendSize) || maxAppendSize <= 0) {
    throw new RangeError(`maxAppendSize must be a positive whole number of bytes, not ${maxAppendSize}`);
  }
  const physical = (streamId: string) => prefix + streamId;
  /** The port's stream id of a ledger record in `$all`; null for system, index and foreign streams. */
  function ledgerStreamOf(name: string): string | null {
    if (!name.startsWith(prefix)) return null;
    const streamId = name.slice(prefix.length);
    return streamId.startsWith('$') || isIndexStream(streamId) ? null : streamId;
  }
  function decodeLedger(record: Stored | AllStreamResolvedEvent['event']): DecodedEvent | null {
    if (!record) return null;
    const streamId = ledgerStreamOf(record.streamId);
    if (streamId === null || !record.position) return null;
    return decodeRecord({ ...record, streamId }, encodePosition(record.position));
  }

  async function readRecords(
    streamId: string,
    read: { fromRevision: ReadRevision; maxCount: number; direction: typeof FORWARDS | typeof BACKWARDS },
  ): Promise<Stored[]> {
    const records: Stored[] = [];
    try {
      for await (const resolved of client.readStream(physical(streamId), read)) {
        if (resolved.event) records.push(resolved.event as Stored);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return records;
  }

  function positionOf(record: Stored): bigint {
    if (!record.position) {
      throw new Error(
        'EventStoreDB gave no event positions on stream reads: the server must be 22.6 or newer',
      );
    }
    return encodePosition(record.position);
  }

  /** Decodes a record read from the stream `streamId` (the port's id). */
  function decode(record: Stored, streamId: string): DecodedEvent | null {
    return decodeRecord({ ...record, streamId }, positionOf(record));
  }

  async function lastRecord(streamId: string): Promise<Stored | null> {
    const [record] = await readRecords(streamId, { fromRevision: END, maxCount: 1, direction: BACKWARDS });
    return record ?? null;
  }

  async function readClaim(indexStream: string): Promise<ClaimRecord | null> {
    const record = await lastRecord(indexStream);
    if (!record) return null;
    const claim = parseClaim(record.data);
    if (!claim) throw new Error(`index stream ${indexStream} holds a record that is not a claim`);
    return { claim, indexRevision: record.revision, createdAt: record.created };
  }

  async function slotOf(claim: Claim): Promise<DecodedEvent | null> {
    const revision = BigInt(claim.revision);
    const [record] = await readRecords(claim.streamId, {
      fromRevision: revision,
      maxCount: 1,
      direction: FORWARDS,
    });
    return record && record.revision === revision ? decode(record, claim.streamId) : null;
  }

  async function judgeEvent(
    streamId: string,
    event: NewEvent,
    fingerprint: string,
    appendId: string,
  ): Promise<EventOutcome> {
    const keys: Array<{ key: 'eventId' | 'source'; stream: string }> = [
      { key: 'eventId', stream: eventIdIndexStream(event.eventId) },
    ];
    if (event.source) keys.push({ key: 'source', stream: sourceIndexStream(event.source) });
    const judged = await Promise.all(
      keys.map(async ({ key, stream }) => {
        const record = await readClaim(stream);
        const slot = record ? await slotOf(record.claim) : null;
        return {
          key,
          stream,
          judgement: judgeClaim({ streamId, fingerprint, appendId }, record, slot, now(), IN_FLIGHT_MS),
        };
      }),
    );
    return combine(judged);
  }

  function conflict(
    event: NewEvent,
    outcome: Extract<EventOutcome, { kind: 'conflict' }>,
  ): IdempotencyConflictError {
    const key =
      outcome.key === 'source' && event.source
        ? { sourceSystem: event.source.system, sourceRecordId: event.source.recordId }
        : { eventId: event.eventId };
    return new IdempotencyConflictError(key, outcome.detail);
  }

  async function appendOnce(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
    appendId: string,
  ): Promise<AppendResult> {
    const fingerprints = events.map((event) => fingerprintOf(streamId, event));
    const outcomes = await Promise.all(
      events.map((event, i) => judgeEvent(streamId, event, fingerprints[i]!, appendId)),
    );
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'conflict') throw conflict(events[i]!, outcome);
    });
    const duplicates = outcomes.flatMap((outcome) => (outcome.kind === 'duplicate' ? [outcome.event] : []));
    if (duplicates.length === events.length) {
      // A replay answers what the original append answered, whatever version is expected now.
      return {
        streamId,
        version: Math.max(...duplicates.map((event) => event.appendEnd)),
        events: duplicates.map(({ eventId, version, position }) => ({ eventId, version, position })),
        duplicate: true,
      };
    }
    if (duplicates.length > 0) {
      const fresh = events[outcomes.findIndex((outcome) => outcome.kind !== 'duplicate')]!;
      throw new IdempotencyConflictError(
        { eventId: fresh.eventId },
        'part of this batch was appended before; resend exactly the original batch or only the new events',
      );
    }
    if (outcomes.some((outcome) => outcome.kind === 'pending')) {
      throw new AppendRace('an identical append is in flight');
    }

    const head = await lastRecord(streamId);
    const currentVersion = head ? versionOfRevision(head.revision) : 0;
    if (!satisfies(expectedVersion, currentVersion)) {
      throw new WrongExpectedVersionError(streamId, expectedVersion, currentVersion);
    }
    const headEvent = head ? decode(head, streamId) : null;
    let prevHash = headEvent?.hash ?? GENESIS_HASH;
    if (head && !headEvent) throw new Error(`stream ${streamId} ends in a record this ledger did not write`);

    const recordedAt = now().toISOString();
    const records = events.map((event, i) => {
      const version = currentVersion + i + 1;
      const hashed = {
        eventId: event.eventId,
        streamId,
        version,
        type: event.type,
        occurredAt: event.occurredAt,
        recordedAt,
        data: event.data,
        metadata: event.metadata ?? {},
        source: event.source ? { system: event.source.system, recordId: event.source.recordId } : null,
        prevHash,
      };
      const hash = computeEventHash(hashed);
      prevHash = hash;
      return jsonEvent({
        id: event.eventId,
        type: event.type,
        data: event.data,
        metadata: encodeMetadata({
          eventId: event.eventId,
          occurredAt: event.occurredAt,
          recordedAt,
          source: hashed.source,
          prevHash: hashed.prevHash,
          hash,
          fingerprint: fingerprints[i]!,
          appendEnd: currentVersion + events.length,
          metadata: hashed.metadata,
        }),
      });
    });
    // Before any claim: a refusal by the server after the claims would leave them behind.
    const bytes = appendSize(records);
    if (bytes > maxAppendSize) throw new AppendTooLargeError(streamId, bytes, maxAppendSize);
    const logBytes = bytes + RECORD_OVERHEAD * records.length;
    if (BigInt(logBytes) > MAX_PREPARE_OFFSET) {
      throw new RangeError(
        `an append of about ${logBytes} bytes in the log is larger than one position can order; split the batch`,
      );
    }

    // Claims first: after a crash past this point the claims are stale, never missing.
    const firstRevision = BigInt(currentVersion);
    await Promise.all(
      outcomes.flatMap((outcome, i) =>
        outcome.kind !== 'new'
          ? []
          : outcome.claims.map(async ({ stream, expected }) => {
              const claim: Claim = {
                streamId,
                revision: String(firstRevision + BigInt(i)),
                eventId: events[i]!.eventId,
                fingerprint: fingerprints[i]!,
                appendId,
              };
              try {
                await client.appendToStream(
                  physical(stream),
                  jsonEvent({ type: CLAIM_TYPE, data: { ...claim } }),
                  {
                    expectedRevision: expected === 'no_stream' ? NO_STREAM : expected,
                  },
                );
              } catch (error) {
                if (translateAppendError(error, stream, 'any') instanceof WrongExpectedVersionError) {
                  throw new AppendRace(`claim ${stream} moved`);
                }
                throw error;
              }
            }),
      ),
    );

    try {
      await client.appendToStream(physical(streamId), records, {
        expectedRevision: currentVersion === 0 ? NO_STREAM : firstRevision - 1n,
      });
    } catch (error) {
      const translated = translateAppendError(error, streamId, expectedVersion, bytes);
      if (translated instanceof WrongExpectedVersionError) throw new AppendRace(translated.message);
      throw translated;
    }

    // Read back: positions per event, and proof that the server kept our bodies (its own
    // de-duplication answers success for a known event id without writing).
    const written = await readRecords(streamId, {
      fromRevision: firstRevision,
      maxCount: events.length,
      direction: FORWARDS,
    });
    const appended: AppendedEvent[] = written.map((record, i) => {
      const decoded = decode(record, streamId);
      if (!decoded || decoded.eventId !== events[i]!.eventId || decoded.fingerprint !== fingerprints[i]) {
        throw new AppendRace(
          `stream ${streamId} does not hold this append at version ${currentVersion + i + 1}`,
        );
      }
      return { eventId: decoded.eventId, version: decoded.version, position: decoded.position };
    });
    if (appended.length !== events.length)
      throw new AppendRace(`stream ${streamId} is short after the append`);
    log.debug(
      { streamId, version: currentVersion + events.length, events: events.length },
      'events appended',
    );
    return { streamId, version: currentVersion + events.length, events: appended, duplicate: false };
  }

  async function append(
    streamId: string,
    input: NewEvent[],
    appendOptions: { expectedVersion?: ExpectedVersion } = {},
  ): Promise<AppendResult> {
    const expectedVersion = checkedExpectedVersion(appendOptions.expectedVersion);
    if (streamId.startsWith('$') || isIndexStream(streamId)) {
      throw new RangeError(`stream ${streamId} is reserved`);
    }
    if (input.length === 0) throw new RangeError('an append needs at least one event');
    // Ids in lower case from here on: the index streams are named after them.
    const events = checkedEvents(input);
    const appendId = randomUUID();
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await appendOnce(streamId, events, expectedVersion, appendId);
      } catch (error) {
        if (!(error instanceof AppendRace)) throw error;
        // A race lost: the next attempt re-reads claims and the head, so it either finds our
        // events (duplicate), meets a real version mismatch, or wins.
        log.debug({ streamId, attempt, reason: error.message }, 'append raced; retrying');
        if (Date.now() > deadline) throw new Error(`append to ${streamId} kept racing: ${error.message}`);
        await pause(Math.min(200, 5 * attempt) + Math.random() * 10);
      }
    }
  }

  async function readStreamChecked(
    streamId: string,
    readOptions: ReadStreamOptions = {},
  ): Promise<RecordedEvent[]> {
    const fromVersion = Math.max(1, readOptions.fromVersion ?? 1);
    const count = Math.min(
      readOptions.limit ?? Number.MAX_SAFE_INTEGER,
      readOptions.toVersion !== undefined ? readOptions.toVersion - fromVersion + 1 : Number.MAX_SAFE_INTEGER,
    );
    if (count <= 0) return [];
    const records = await readRecords(streamId, {
      fromRevision: revisionOfVersion(fromVersion),
      maxCount: count,
      direction: FORWARDS,
    });
    const events = records.map((record) => {
      const decoded = decode(record, streamId);
      if (!decoded) throw new Error(`stream ${streamId} holds a record this ledger did not write`);
      return toRecorded(decoded);
    });
    // Verified on read: a reader never receives a false event, a false link or a cut-off start.
    const broken = brokenRead(events, fromVersion);
    if (broken) {
      log.error({ streamId, version: broken.version, reason: broken.reason }, 'hash chain broken');
      throw new Error(
        `the hash chain of ${streamId} is broken at version ${broken.version}: ${broken.reason}`,
      );
    }
    return events;
  }

  async function streamVersion(streamId: string): Promise<number> {
    const head = await lastRecord(streamId);
    return head ? versionOfRevision(head.revision) : 0;
  }

  /** Ledger events of `$all` from `from` (inclusive on the server; callers drop what they have). */
  async function readAllPage(
    from: Position | null,
    maxCount: number,
  ): Promise<{ events: DecodedEvent[]; last: Position | null; raw: number }> {
    const events: DecodedEvent[] = [];
    let last: Position | null = null;
    let raw = 0;
    for await (const resolved of client.readAll({
      fromPosition: from ?? START,
      maxCount,
      direction: FORWARDS,
    })) {
      raw++;
      const record = resolved.event;
      if (!record) continue;
      last = record.position;
      const decoded = decodeLedger(record);
      if (decoded) events.push(decoded);
    }
    return { events, last, raw };
  }

  async function readAll(readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = readOptions.after ?? 0n;
    const limit = readOptions.limit ?? 1000;
    const events: RecordedEvent[] = [];
    let from = decodePosition(after);
    while (events.length < limit) {
      const page = await readAllPage(from, PAGE);
      for (const event of page.events.map(toRecorded)) {
        if (
          event.position > after &&
          event.position > (events.at(-1)?.position ?? 0n) &&
          events.length < limit
        ) {
          events.push(event);
        }
      }
      if (page.raw < PAGE || !page.last) break;
      from = page.last;
    }
    return events;
  }

  async function headPosition(): Promise<bigint> {
    let from: Position | typeof END = END;
    for (;;) {
      let raw = 0;
      let last: Position | null = null;
      const page = client.readAll({ fromPosition: from, maxCount: PAGE, direction: BACKWARDS });
      for await (const resolved of page as AsyncIterable<AllStreamResolvedEvent>) {
        raw++;
        const record = resolved.event;
        if (!record) continue;
        last = record.position;
        const decoded = decodeLedger(record);
        if (decoded) return decoded.position;
      }
      if (raw < PAGE || !last) return 0n;
      from = last;
    }
  }

  const source: SubscriptionSource = (after, signal) => ({
    async *[Symbol.asyncIterator]() {
      const start = decodePosition(after);
      const subscription = client.subscribeToAll({
        fromPosition: start ?? START,
        filter: prefix
          ? streamNameFilter({ prefixes: [prefix] })
          : streamNameFilter({ regex: LEDGER_FILTER_REGEX }),
      });
      const unsubscribe = () => void subscription.unsubscribe().catch(() => undefined);
      signal.addEventListener('abort', unsubscribe, { once: true });
      try {
        for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
          if (signal.aborted) return;
          const decoded = decodeLedger(resolved.event);
          if (!decoded) continue;
          const event = toRecorded(decoded);
          yield event;
        }
      } finally {
        signal.removeEventListener('abort', unsubscribe);
        unsubscribe();
      }
    },
  });

  const subscriptions = new Set<ResubscribingSubscription>();
  let closed = false;

  function subscribe(subscribeOptions: SubscribeOptions): Subscription {
    if (closed) throw new Error('the event store is closed');
    const checkpointStore = options.checkpointStore;
    const subscription = new ResubscribingSubscription({
      source,
      handle: subscribeOptions.handle,
      after: subscribeOptions.after ?? 0n,
      batchSize: subscribeOptions.batchSize ?? 500,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(checkpointStore ? { loadCheckpoint: () => checkpointStore.load() } : {}),
      onDrop: ({ error, attempt, delayMs, position }) =>
        log.warn(
          { err: error, attempt, delayMs, position: position.toString() },
          'subscription to $all dropped; resubscribing from checkpoint',
        ),
    });
    subscriptions.add(subscription);
    const forget = () => subscriptions.delete(subscription);
    subscription.done.then(forget, forget);
    return subscription;
  }

  /**
   * Stops the subscriptions first: the client's dispose() only cancels the calls in flight,
   * which a subscription takes for a dropped connection and answers by subscribing again.
   */
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
    await client.dispose();
  }

  /** A record this ledger did not write breaks the chain where it stands; the events before it are returned. */
  async function readVerifiedStream(streamId: string): Promise<VerifiedStream> {
    const records = await readRecords(streamId, {
      fromRevision: START,
      maxCount: Number.MAX_SAFE_INTEGER,
      direction: FORWARDS,
    });
    const events: RecordedEvent[] = [];
    for (const record of records) {
      const decoded = decode(record, streamId);
      if (!decoded) {
        const verification: VerifyResult = {
          ok: false,
          streamId,
          events: records.length,
          brokenAt: versionOfRevision(record.revision),
          reason: 'hash_mismatch',
        };
        return { events, verification };
      }
      const event = toRecorded(decoded);
      events.push(event);
    }
    return { events, verification: verifyChain(events, streamId) };
  }

  async function ledgerDigest(digestOptions: { upTo?: bigint } = {}): Promise<LedgerDigest> {
    const digester = new LedgerDigester();
    let after = 0n;
    for (;;) {
      const events = await readAll({ after, limit: PAGE });
      for (const event of events) {
        if (digestOptions.upTo !== undefined && event.position > digestOptions.upTo) return digester.result();
        digester.add(event.position, event.hash);
      }
      const last = events.at(-1);
      if (!last) return digester.result();
      after = last.position;
    }
  }

  return {
    append,
    readStream: readStreamChecked,
    streamVersion,
    readAll,
    headPosition,
    subscribe,
    verifyStream: async (streamId: string) => (await readVerifiedStream(streamId)).verification,
    readVerifiedStream,
    readAllChecked: async (readOptions?: ReadAllOptions) =>
      (await readAll(readOptions)).map((event) => ({
        event,
        intact: computeEventHash(event) === event.hash,
      })),
    ledgerDigest,
    close,
  };
}
