import type { Database, Logger } from '@fengcheng/platform';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { checkedEvents, checkedExpectedVersion } from '../append-input';
import { IdempotencyConflictError, WrongExpectedVersionError } from '../errors';
import {
  chainEvent,
  fingerprintOf,
  GENESIS_HASH,
  LedgerDigester,
  type PreparedEvent,
  prepareEvent,
  storedEventHash,
  verifyChain,
} from '../hash-chain';
import type {
  AppendResult,
  CheckedEvent,
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
import { PollingSubscription } from '../subscription';
import {
  type AppendCall,
  AppendGroup,
  appendParameters,
  insertOneParameters,
  insertParameters,
  insertVerdicts,
} from './append-group';
import { LookupBatch } from './lookup-batch';
import { migrate, names, statements } from './schema';
import { pgErrorOf, type Row, type SqlClient, sqlClientFor } from './sql-client';

export interface PostgresEventStoreOptions {
  /** Source of `recordedAt`. Default: the system clock. */
  clock?: () => Date;
  logger?: Logger;
  /** How often a caught-up subscription re-reads when no notification woke it. Default 250 ms. */
  pollIntervalMs?: number;
  /**
   * At most this many append calls out at once; appends waiting meanwhile travel together in
   * the next call. Default 2: on a 2-core machine that beats 8 calls of one append each by
   * about 2x. Embedded, the second call waits in PGlite's thread behind the first, so that
   * thread has it at hand instead of idling while this one gathers it.
   */
  appendConcurrency?: number;
}

/** Positions are (xid << 20) | index, so one append holds at most 2^20 events; far fewer is sensible. */
const MAX_BATCH = 10_000;
const MAX_APPEND_ATTEMPTS = 20;
const HEAD_CACHE_SIZE = 10_000;
/**
 * NOTIFY is coalesced: at most one per interval, the last one always after the last commit; the
 * first after a quiet spell goes at once. Each costs a transaction (about 100 µs of the server's
 * time) and holds a pool connection meanwhile: at one per 5 ms, single appends on one connection
 * took 8-16% longer than without any; at one per 25 ms, 1-5%. Under steady writes a caught-up
 * subscriber in another process then hears of new events up to 25 ms later.
 */
const NOTIFY_INTERVAL_MS = 25;
const DIGEST_PAGE = 10_000;

/**
 * Opens the PostgreSQL event store on a server (pg) or on embedded PGlite — the same SQL on
 * both; only LISTEN differs. Creates its tables in `database.schema` if missing. `close()`
 * stops subscriptions and its LISTEN connection; the caller still owns (and closes) `database`.
 */
export async function createPostgresEventStore(
  database: Database,
  options: PostgresEventStoreOptions = {},
): Promise<EventStore> {
  const sql = sqlClientFor(database);
  await migrate(sql, database.schema);
  return new PostgresEventStore(database, sql, options);
}

interface Head {
  version: number;
  hash: string;
}

const EXPECTED_CODE = { any: -1, stream_exists: -2, no_stream: 0 } as const;

const noop = () => undefined;

function toBigInt(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number | string);
}

class PostgresEventStore implements EventStore {
  private readonly n: ReturnType<typeof names>;
  private readonly clock: () => Date;
  private readonly logger: Logger | undefined;
  private readonly pollIntervalMs: number;
  // lru-cache rather than a Map in insertion order, whose oldest entry is found by scanning past
  // the holes deletions leave at its front: 15 µs an append at 10,000 streams, ~1 µs here.
  private readonly heads = new LRUCache<string, Head>({ max: HEAD_CACHE_SIZE });
  // Streams whose cached head another process moved (two query APIs appending one case's audit
  // trail, say). Their appends on a cached head go through es_append, which checks it and answers
  // the real one in the same round trip, instead of a plain insert the key refuses: that cost an
  // aborted insert and a statement more each time. A cached head es_append finds right clears it.
  private readonly contested = new LRUCache<string, true>({ max: HEAD_CACHE_SIZE });
  private readonly streamQueues = new Map<string, Promise<void>>();
  private readonly wakeListeners = new Set<() => void>();
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly sql: ReturnType<typeof statements>;
  private readonly group: AppendGroup;
  private readonly lookups: LookupBatch;
  private notifyTimer: NodeJS.Timeout | undefined;
  private lastNotifyAt = 0;
  private listening: Promise<void> | undefined;
  private listenClient: pg.PoolClient | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly client: SqlClient,
    options: PostgresEventStoreOptions,
  ) {
    this.n = names(database.schema);
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.group = new AppendGroup((calls) => this.send(calls), options.appendConcurrency ?? 2, MAX_BATCH);
    this.lookups = new LookupBatch(({ ids, sources }) =>
      this.client.query(
        this.sql.lookup,
        [ids, sources.map((s) => s.system), sources.map((s) => s.recordId)],
        `es_lookup:${database.schema}`,
      ),
    );
    this.sql = statements(database.schema, database.kind);
  }

  append(
    streamId: string,
    events: NewEvent[],
    options: { expectedVersion?: ExpectedVersion } = {},
  ): Promise<AppendResult> {
    // Appends to one stream from this process go one after another: they would only race
    // for the same version in the database, and each loser would pay extra round trips.
    const previous = this.streamQueues.get(streamId);
    const result = previous
      ? previous.then(() => this.appendNow(streamId, events, options))
      : this.appendNow(streamId, events, options);
    const settled = result.then(noop, noop);
    this.streamQueues.set(streamId, settled);
    void settled.then(() => {
      if (this.streamQueues.get(streamId) === settled) this.streamQueues.delete(streamId);
    });
    return result;
  }

  private async appendNow(
    streamId: string,
    input: NewEvent[],
    options: { expectedVersion?: ExpectedVersion },
  ): Promise<AppendResult> {
    const events = checkedEvents(input);
    const expectedVersion = checkedExpectedVersion(options.expectedVersion);
    // The SQL's codes: a version from 0, or -1 for 'any' and -2 for 'stream_exists'.
    const expected = typeof expectedVersion === 'number' ? expectedVersion : EXPECTED_CODE[expectedVersion];
    let prepared: PreparedEvent[] | undefined = this.prepare(streamId, events);
    const recordedAt = this.clock().toISOString();
    const ids = prepared.map((p) => p.event.eventId);
    const types = prepared.map((p) => p.event.type);
    const sourceSystems = prepared.map((p) => p.source?.system ?? null);
    const sourceIds = prepared.map((p) => p.source?.recordId ?? null);

    const cached = this.heads.get(streamId);
    // The head the hashes are chained from: known for a new stream, else the cached head
    // (the function checks it), else unknown — the function then answers with the real one.
    // Under 'any' an uncached stream is guessed new: the function confirms the guess or
    // answers the real head in the same round trip, so a guess never goes in plain.
    let base: Head | undefined =
      expected === 0
        ? { version: 0, hash: GENESIS_HASH }
        : cached && (expected < 0 || cached.version === expected)
          ? cached
          : expected === -1
            ? { version: 0, hash: GENESIS_HASH }
            : undefined;
    // A guess, or an expectation the cache already contradicts (a 'no_stream' on a stream it has
    // seen, a 'stream_exists' on one it saw empty), goes through es_append.
    // So does an append on the cached head of a stream another process keeps moving.
    let onCachedHead = base !== undefined && base === cached;
    let doubtful =
      (expected === -1 && base !== cached) ||
      (expected === 0 && cached !== undefined && cached.version > 0) ||
      (expected === EXPECTED_CODE.stream_exists && cached?.version === 0) ||
      (onCachedHead && this.contested.has(streamId));

    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const chained = base
        ? this.chain(prepared ?? this.prepare(streamId, events), recordedAt, base)
        : undefined;
      // The parts' canonical texts are most of what an append holds: made again should a retry
      // need them, they are not kept (nor copied by each young GC) while the append waits.
      if (chained) prepared = undefined;
      let rows: Row[];
      try {
        const unknown = chained ? undefined : ids.map(() => null);
        rows = await this.group.submit({
          streamId,
          expected,
          baseVersion: base?.version ?? null,
          baseHash: base?.hash ?? null,
          ids,
          types,
          sourceSystems,
          sourceIds,
          hashes: chained?.hashes ?? (unknown as null[]),
          canonicals: chained?.canonicals ?? (unknown as null[]),
          plain: chained !== undefined && !doubtful,
        });
      } catch (error) {
        const { code, constraint } = pgErrorOf(error);
        if (code !== '23505') throw error;
        // The failed transaction may have held readers back; let them look again.
        this.requestNotify();
        if (constraint === 'es_events_stream_version_key') {
          this.heads.delete(streamId);
          onCachedHead = false;
          this.contested.set(streamId, true);
          // A writer in another process took the version first: re-check against the new
          // head, after a short random pause so that racing retries spread out.
          base = undefined;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (attempt + 1)));
          continue;
        }
        // An event id or source record taken: a retry (or a conflict), which says nothing
        // against the cached head, so the head stays for the next append to the stream.
        const existing = await this.resolveExisting(streamId, events);
        if (existing) return existing;
        this.heads.delete(streamId);
        onCachedHead = false;
        base = undefined;
        continue;
      }
      const first = rows[0];
      if (!first) throw new Error('es_append returned nothing');
      const kind = first[0] as string;
      const head: Head = { version: Number(first[1]), hash: first[3] as string };
      if (kind === 'ok' && chained) {
        // Event i went in as version base + 1 + i (the function checked that base is the head);
        // the rows may come back in any order.
        if (rows.length !== ids.length)
          throw new Error(`es_append answered ${rows.length} of ${ids.length} events`);
        const appended: AppendResult['events'] = new Array(ids.length);
        for (const row of rows) {
          const version = Number(row[1]);
          const i = version - chained.baseVersion - 1;
          if (i < 0 || i >= ids.length || appended[i])
            throw new Error(`es_append answered version ${version}`);
          appended[i] = { eventId: ids[i] as string, version, position: toBigInt(row[2]) };
        }
        const version = chained.baseVersion + ids.length;
        if (onCachedHead && doubtful) this.contested.delete(streamId);
        this.heads.set(streamId, { version, hash: chained.hashes.at(-1) as string });
        this.wakeLocal();
        this.requestNotify();
        return { streamId, version, events: appended, duplicate: false };
      }
      if (kind === 'stale') {
        // The cached head was not the head: another process appended since.
        if (onCachedHead) this.contested.set(streamId, true);
        onCachedHead = false;
        base = head;
        doubtful = false;
        continue;
      }
      this.heads.set(streamId, head);
      if (kind === 'existing') {
        const existing = await this.resolveExisting(streamId, events);
        if (existing) return existing;
        continue;
      }
      if (kind === 'wrong_version') {
        throw new WrongExpectedVersionError(streamId, expectedVersion, head.version);
      }
      throw new Error(`es_append answered ${kind}`);
    }
    throw new Error(
      `append to ${streamId} did not settle after ${MAX_APPEND_ATTEMPTS} attempts: the head kept moving`,
    );
  }

  /** One group of appends in one statement: a plain insert when every base is known, else es_append. */
  private async send(calls: AppendCall[]): Promise<Row[]> {
    const { schema } = this.database;
    if (calls.every((call) => call.plain)) {
      try {
        const one = calls.length === 1 && calls[0]!.ids.length === 1;
        const rows = one
          ? await this.client.query(
              this.sql.insertOne,
              insertOneParameters(calls[0]!),
              `es_insert_one:${schema}`,
            )
          : await this.client.query(this.sql.insert, insertParameters(calls), `es_insert:${schema}`);
        return insertVerdicts(calls, rows);
      } catch (error) {
        // A key refused one of them (a stale 'no_stream', a moved head, a retried event): the
        // same group goes through es_append, which answers each append in its own verdict,
        // so one refusal costs this group one statement, not one per append. An append alone
        // whose event id or source record is taken is a retry (or a conflict) whatever its
        // base: es_append could only be refused the same way, so the caller looks it up at once.
        const { code, constraint } = pgErrorOf(error);
        if (code !== '23505') throw error;
        if (calls.length === 1 && constraint !== 'es_events_stream_version_key') throw error;
      }
    }
    return this.client.query(this.sql.append, appendParameters(calls), `es_append:${schema}`);
  }

  private prepare(streamId: string, events: NewEvent[]): PreparedEvent[] {
    if (typeof streamId !== 'string' || streamId.length === 0)
      throw new TypeError('streamId must be a non-empty string');
    if (events.length === 0) throw new RangeError('an append needs at least one event');
    if (events.length > MAX_BATCH) throw new RangeError(`an append holds at most ${MAX_BATCH} events`);
    let previous: PreparedEvent | undefined;
    return events.map((event) => {
      const prepared = prepareEvent(streamId, event, previous);
      previous = prepared;
      return prepared;
    });
  }

  private chain(prepared: PreparedEvent[], recordedAt: string, base: Head) {
    const hashes: string[] = [];
    const canonicals: string[] = [];
    let prevHash = base.hash;
    for (let i = 0; i < prepared.length; i++) {
      const { canonical, hash } = chainEvent(prepared[i] as PreparedEvent, {
        version: base.version + i + 1,
        recordedAt,
        prevHash,
      });
      hashes.push(hash);
      canonicals.push(canonical);
      prevHash = hash;
    }
    return { baseVersion: base.version, hashes, canonicals };
  }

  /**
   * Some events of this append exist already. All of them, each with the same fingerprint:
   * a replay, answered with the original result. Any other mix: a conflict, nothing appended.
   * Undefined when none exists (the unique violation came from a writer that has since won
   * a race in another way): the caller tries again.
   */
  private async resolveExisting(streamId: string, events: NewEvent[]): Promise<AppendResult | undefined> {
    const prepared = this.prepare(streamId, events);
    const withSource = prepared.filter((p) => p.source);
    const rows = await this.lookups.find({
      ids: prepared.map((p) => p.event.eventId),
      sources: withSource.map((p) => ({ system: p.source!.system, recordId: p.source!.recordId })),
    });
    // The fingerprint is not stored: it is recomputed from the stored event, which holds
    // every field it covers (this path runs only for retries and conflicts).
    const found = rows.map((row) => {
      const event = (typeof row[0] === 'string' ? JSON.parse(row[0]) : row[0]) as RecordedEvent;
      return {
        eventId: event.eventId,
        version: Number(row[1]),
        position: toBigInt(row[2]),
        fingerprint: fingerprintOf(event.streamId, { ...event, source: event.source ?? undefined }),
        source: row[3] === null ? undefined : `${row[3] as string}\u0000${row[4] as string}`,
        appendEnd: Number(row[5] ?? row[1]),
      };
    });
    if (found.length === 0) return undefined;
    const byId = new Map(found.map((row) => [row.eventId.toLowerCase(), row]));
    const matches: Array<(typeof found)[number] | undefined> = prepared.map((p) => {
      const sameId = byId.get(p.event.eventId.toLowerCase());
      if (sameId) {
        if (sameId.fingerprint !== p.fingerprint) {
          throw new IdempotencyConflictError(
            { eventId: p.event.eventId },
            `eventId ${p.event.eventId} was appended before as a different event`,
          );
        }
        return sameId;
      }
      const { source } = p;
      if (!source) return undefined;
      const key = `${source.system}\u0000${source.recordId}`;
      const sameSource = found.find((row) => row.source === key);
      if (!sameSource) return undefined;
      if (sameSource.fingerprint !== p.fingerprint) {
        throw new IdempotencyConflictError(
          { sourceSystem: source.system, sourceRecordId: source.recordId },
          `source record ${source.system}/${source.recordId} was appended before as a different event`,
        );
      }
      return sameSource;
    });
    const newOne = prepared.find((_, i) => !matches[i]);
    if (newOne) {
      throw new IdempotencyConflictError(
        { eventId: newOne.event.eventId },
        'the append mixes new events with events appended before: resend only the new ones',
      );
    }
    const matched = matches as Array<(typeof found)[number]>;
    const last = matched.reduce((a, b) => (b.position > a.position ? b : a));
    return {
      streamId,
      // Where the newest one's original append ended.
      version: last.appendEnd,
      events: matched.map((row) => ({ eventId: row.eventId, version: row.version, position: row.position })),
      duplicate: true,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return (await this.readStreamRows(streamId, options)).events;
  }

  /** Each hash is recomputed from the text the event was stored as (`storedEventHash`). */
  async readVerifiedStream(streamId: string): Promise<VerifiedStream> {
    const { rows, events } = await this.readStreamRows(streamId, {});
    const verification = verifyChain(events, streamId, (event, i) =>
      storedEventHash(event, (rows[i] as Row)[2]),
    );
    return { events, verification };
  }

  private async readStreamRows(streamId: string, options: ReadStreamOptions) {
    const rows = await this.client.query(
      this.sql.readStream,
      [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647, options.limit ?? null],
      `es_read_stream:${this.database.schema}`,
    );
    const events = rows.map(toRecorded);
    // A read to the end saw the head: the next append to the stream (a decider's, usually)
    // can be chained on it at once. An older head than the cached one is not taken.
    const last = events.at(-1);
    if (last && options.toVersion === undefined && options.limit === undefined) {
      const cached = this.heads.get(streamId);
      if (!cached || cached.version < last.version)
        this.heads.set(streamId, { version: last.version, hash: last.hash });
    }
    return { rows, events };
  }

  async streamVersion(streamId: string): Promise<number> {
    const [row] = await this.client.query(this.sql.streamVersion, [streamId]);
    return Number(row?.[0] ?? 0);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.client.query(
      this.sql.readAll,
      [options.after ?? 0n, options.limit ?? 1000],
      `es_read_all:${this.database.schema}`,
    );
    return rows.map(toRecorded);
  }

  /**
   * Each hash is recomputed from the text the event was stored as (`storedEventHash`), and the
   * row's stream and version columns, which stream reads go by, must be the ones it names.
   */
  async readAllChecked(options: ReadAllOptions = {}): Promise<CheckedEvent[]> {
    const rows = await this.client.query(
      this.sql.readAllChecked,
      [options.after ?? 0n, options.limit ?? 1000],
      `es_read_all_checked:${this.database.schema}`,
    );
    return rows.map((row) => {
      const event = toRecorded(row);
      const filed = event.streamId === row[3] && event.version === Number(row[4]);
      return { event, intact: filed && storedEventHash(event, row[2]) === event.hash };
    });
  }

  async headPosition(): Promise<bigint> {
    const [row] = await this.client.query(this.sql.head);
    return toBigInt(row?.[0] ?? 0);
  }

  subscribe(options: SubscribeOptions): Subscription {
    if (this.closed) throw new Error('the event store is closed');
    void this.ensureListening();
    const subscription = new PollingSubscription(
      {
        readAll: (o) => this.readAll(o),
        heldBack: async (position) =>
          (
            await this.client.query(this.sql.heldBack, [position], `es_held_back:${this.database.schema}`)
          )[0]?.[0] === true,
        onWake: (listener) => {
          this.wakeListeners.add(listener);
          return () => this.wakeListeners.delete(listener);
        },
        pollIntervalMs: this.pollIntervalMs,
        logger: this.logger,
      },
      options,
    );
    this.subscriptions.add(subscription);
    subscription.done.then(
      () => this.subscriptions.delete(subscription),
      () => this.subscriptions.delete(subscription),
    );
    return subscription;
  }

  async verifyStream(streamId: string): Promise<VerifyResult> {
    return (await this.readVerifiedStream(streamId)).verification;
  }

  async ledgerDigest(options: { upTo?: bigint } = {}): Promise<LedgerDigest> {
    const upTo = options.upTo ?? 9_223_372_036_854_775_807n;
    const digester = new LedgerDigester();
    let after = 0n;
    for (;;) {
      const rows = await this.client.query(this.sql.digestPage, [after, upTo, DIGEST_PAGE]);
      for (const row of rows) digester.add(toBigInt(row[0]), row[1] as string);
      const last = rows.at(-1);
      if (!last || rows.length < DIGEST_PAGE) break;
      after = toBigInt(last[0]);
    }
    return digester.result();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.listening?.catch(() => undefined);
    await this.stopListening();
  }

  private wakeLocal(): void {
    for (const listener of this.wakeListeners) listener();
  }

  /** Tells other processes' subscribers, coalesced so a busy writer does not pay a NOTIFY per append. */
  private requestNotify(): void {
    if (this.notifyTimer || this.closed) return;
    const wait = Math.max(0, this.lastNotifyAt + NOTIFY_INTERVAL_MS - Date.now());
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.lastNotifyAt = Date.now();
      // Sent after the append committed, never inside it: a NOTIFY in the appending
      // transaction takes a database-wide lock until commit and serialises all writers.
      this.client.query(this.sql.notify).catch((error) => {
        if (!this.closed) this.logger?.warn({ err: error }, 'event-store notify failed');
      });
    }, wait);
    this.notifyTimer.unref?.();
  }

  private ensureListening(): Promise<void> {
    this.listening ??= this.startListening().catch((error) => {
      this.logger?.warn({ err: error }, 'event-store LISTEN failed; subscriptions fall back to polling');
      this.listening = undefined;
    });
    return this.listening;
  }

  private async startListening(): Promise<void> {
    const { channel } = this.n;
    if (this.database.kind === 'pglite') {
      const off = await this.database.pglite.listen(channel, () => this.wakeLocal());
      this.unlisten = () => off();
      if (this.closed) await this.stopListening();
      return;
    }
    const client = await this.database.pool.connect();
    client.on('notification', () => this.wakeLocal());
    client.on('error', (error) => {
      this.logger?.warn({ err: error }, 'event-store LISTEN connection lost; polling until it is back');
      if (this.listenClient === client) this.listenClient = undefined;
      this.listening = undefined;
      client.release(error);
      if (!this.closed && this.subscriptions.size > 0) void this.ensureListening();
    });
    try {
      await client.query(`listen "${channel}"`);
    } catch (error) {
      client.release(error instanceof Error ? error : undefined);
      throw error;
    }
    this.listenClient = client;
    if (this.closed) await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.().catch(() => undefined);
    const client = this.listenClient;
    this.listenClient = undefined;
    if (client) {
      await client.query(`unlisten "${this.n.channel}"`).catch(() => undefined);
      client.release();
    }
  }
}

/** A row (position, hash, event) as a RecordedEvent: the stored JSON already holds every other field. */
function toRecorded(row: Row): RecordedEvent {
  const event = (typeof row[2] === 'string' ? JSON.parse(row[2]) : row[2]) as RecordedEvent;
  event.position = toBigInt(row[0]);
  event.hash = row[1] as string;
  return event;
}
