/**
 * The event-store benchmark of issue #2, on a Postgres server:
 *   DATABASE_URL=postgres://… npx tsx scripts/src/bench/event-store.bench.ts [--quick]
 * Prints one JSON object; each figure is the median of 3 runs. Uses (and drops) a database of its own.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  chainEvent,
  createPostgresEventStore,
  type EventStore,
  GENESIS_HASH,
  prepareEvent,
} from '@fengcheng/event-store';
import { type Database, openDatabase } from '@fengcheng/platform';
import pg from 'pg';
import type { MessageDbBench, StoreFigures } from './message-db.bench';
import { createScratchDatabase } from './services';
import { median } from './stats';
import { benchEvent as event, streamReadLatency } from './stream-read';

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function openStore(url: string, schema: string, maxConnections: number, appendConcurrency?: number) {
  const database = await openDatabase({ url, schema, maxConnections });
  const store = await createPostgresEventStore(database, appendConcurrency ? { appendConcurrency } : {});
  return { database, store };
}

async function closeAll(...handles: Array<{ database: Database; store: EventStore }>) {
  for (const { database, store } of handles) {
    await store.close();
    await database.close();
  }
}

/** Appends `count` single events, each to a new stream, over `writers` concurrent loops. */
async function singleAppends(store: EventStore, count: number, writers: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next++;
        await store.append(`bench-${randomUUID()}`, [event(i)], { expectedVersion: 'no_stream' });
      }
    }),
  );
  return count / seconds(start);
}

async function batchAppends(store: EventStore, batches: number): Promise<number> {
  const streamId = `bench-batch-${randomUUID()}`;
  let version = 0;
  const start = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) {
    const result = await store.append(
      streamId,
      Array.from({ length: 100 }, (_, i) => event(i)),
      { expectedVersion: version },
    );
    version = result.version;
  }
  return (batches * 100) / seconds(start);
}

/** Fills the log up to `total` events with 100-event appends over 8 connections. */
async function fill(store: EventStore, total: number) {
  let have = (await store.ledgerDigest()).events;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (have < total) {
        const n = Math.min(100, total - have);
        have += n;
        await store.append(
          `bench-fill-${randomUUID()}`,
          Array.from({ length: n }, (_, i) => event(i)),
          { expectedVersion: 'no_stream' },
        );
      }
    }),
  );
}

/**
 * `count` rows inserted with plain SQL, `rows` per statement (one transaction each), from
 * `connections` concurrent clients: the first client runs `setup` (the table), then each
 * statement is `next()`'s. Rows per second.
 */
async function timedInserts(
  url: string,
  options: { count: number; connections: number; rows: number },
  setup: string,
  next: () => pg.QueryConfig,
): Promise<number> {
  const { count, connections, rows } = options;
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  try {
    await clients[0]!.query(setup);
    let inserted = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      clients.map(async (client) => {
        while (inserted < count) {
          inserted += rows;
          await client.query(next());
        }
      }),
    );
    return inserted / seconds(start);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/**
 * What this machine's Postgres does at best right now, with no event store in between: durable
 * inserts of 400-byte rows, `rows` per statement (one transaction each), from `connections`
 * concurrent clients. The append figures only mean something next to it (issue #6's "[limit]").
 */
function plainInserts(
  url: string,
  schema: string,
  options: { count: number; connections: number; rows: number },
): Promise<number> {
  const bodies = Array.from({ length: options.rows }, () => 'x'.repeat(400));
  return timedInserts(
    url,
    options,
    `create table if not exists ${schema}.baseline (id uuid primary key, body text not null)`,
    () => ({
      name: `baseline-${options.rows}`,
      text: `insert into ${schema}.baseline select * from unnest($1::uuid[], $2::text[])`,
      values: [bodies.map(() => randomUUID()), bodies],
    }),
  );
}

/**
 * Plain SQL again, now into a table of the event table's own shape and keys (`like es_events
 * including all`: position, stream and version, event id, source record; no triggers fire on an
 * insert), each row as long as one of our stored events: what the ledger's keys and row size
 * cost the server before any ledger logic, so that an append's share of the limit can be split
 * into the schema's part and ours. Single rows each open a stream; 100 rows fill one stream each.
 */
function ledgerShapedInserts(
  url: string,
  schema: string,
  options: { count: number; connections: number; rows: number },
): Promise<number> {
  // One of our events as the store would keep it: its canonical text and its hash.
  const { canonical, hash } = chainEvent(prepareEvent('bench-shape', event(0)), {
    version: 1,
    recordedAt: new Date().toISOString(),
    prevHash: GENESIS_HASH,
  });
  const texts = Array.from({ length: options.rows }, () => canonical);
  const hashes = Array.from({ length: options.rows }, () => hash);
  const versions = Array.from({ length: options.rows }, (_, i) => i + 1);
  return timedInserts(
    url,
    options,
    `create table if not exists ${schema}.ledger_shape (like ${schema}.es_events including all)`,
    () => ({
      name: `ledger-shape-${options.rows}`,
      text: `insert into ${schema}.ledger_shape
          (position, stream_id, version, event_id, type, source_system, source_record_id, hash, event)
        select (pg_current_xact_id()::text::bigint << 20) + u.ord - 1, $1, u.version, u.id,
               'VisitRecorded', null, null, u.hash, u.event
          from unnest($2::integer[], $3::uuid[], $4::text[], $5::text[])
               with ordinality as u (version, id, hash, event, ord)`,
      values: [`bench-shape-${randomUUID()}`, versions, versions.map(() => randomUUID()), hashes, texts],
    }),
  );
}

/** The same log read with plain keyset-paged SQL (rows as arrays, each event's JSON parsed): the read limit. */
async function plainReadAll(url: string, schema: string, expected: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let after = '0';
    let count = 0;
    const start = process.hrtime.bigint();
    for (;;) {
      const { rows } = await client.query<unknown[]>({
        name: 'plain-read',
        text: `select position, event from ${schema}.es_events where position > $1 order by position limit 10000`,
        values: [after],
        rowMode: 'array',
      });
      const last = rows.at(-1);
      if (!last) break;
      for (const row of rows) row[1] = JSON.parse(row[1] as string);
      count += rows.length;
      after = String(last[0]);
    }
    const rate = count / seconds(start);
    if (count !== expected) throw new Error(`read ${count} rows, expected ${expected}`);
    return rate;
  } finally {
    await client.end();
  }
}

async function readWholeLog(store: EventStore, expected: number): Promise<number> {
  let after = 0n;
  let count = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const page = await store.readAll({ after, limit: 10_000 });
    const last = page.at(-1);
    if (!last) break;
    count += page.length;
    after = last.position;
  }
  const rate = count / seconds(start);
  if (count !== expected) throw new Error(`read ${count} events from the log, expected ${expected}`);
  return rate;
}

/** The five store figures, ours or the peer's, each the median of its runs. */
function storeFigures(
  runs: Record<'single1' | 'single8' | 'batch100' | 'p50' | 'p99' | 'whole', number[]>,
): StoreFigures {
  return {
    appendSingleEventsPerSec1Conn: Math.round(median(runs.single1)),
    appendSingleEventsPerSec8Conn: Math.round(median(runs.single8)),
    appendBatch100EventsPerSec: Math.round(median(runs.batch100)),
    readStream200P50Ms: Number(median(runs.p50).toFixed(3)),
    readStream200P99Ms: Number(median(runs.p99).toFixed(3)),
    readAllEventsPerSec: Math.round(median(runs.whole)),
  };
}

/**
 * Our store's five figures, each next to its plain-SQL limit and, given `peer`, the peer's same
 * figure, all three measured in the same minute of each run.
 */
export async function runEventStoreBench(options: {
  url: string;
  quick?: boolean;
  /** Runs per figure (default 3); each figure is their median. */
  runs?: number;
  peer?: MessageDbBench;
}): Promise<{ ours: Record<string, number>; peer: StoreFigures | undefined }> {
  const { peer } = options;
  const quick = options.quick ?? false;
  const runs = options.runs ?? 3;
  // A database of its own, dropped at the end (or by `releaseEverything` if the run is interrupted).
  const scratch = await createScratchDatabase(options.url, 'store');
  try {
    return await measureStore(scratch.url, quick, runs, peer);
  } finally {
    await scratch.drop();
  }
}

async function measureStore(
  url: string,
  quick: boolean,
  runs: number,
  peer: MessageDbBench | undefined,
): Promise<{ ours: Record<string, number>; peer: StoreFigures | undefined }> {
  const schema = 'bench';
  const one = await openStore(url, schema, 1);
  const eight = await openStore(url, schema, 8);
  // One call per append on each of the 8 connections: the store without its append grouping.
  const ungrouped = await openStore(url, schema, 8, 8);
  try {
    const single1: number[] = [];
    const single8: number[] = [];
    const single8Ungrouped: number[] = [];
    const batch100: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    const whole: number[] = [];
    const limit1: number[] = [];
    const limit8: number[] = [];
    const limit100: number[] = [];
    const shape1: number[] = [];
    const shape8: number[] = [];
    const shape100: number[] = [];
    const limitReadP50: number[] = [];
    const limitReadP99: number[] = [];
    const theirs = {
      single1: [] as number[],
      single8: [] as number[],
      batch100: [] as number[],
      p50: [] as number[],
      p99: [] as number[],
      whole: [] as number[],
    };
    // The plain-SQL loads: the limit's table and the ledger-shaped one each get the same.
    const loads = {
      single1: { count: quick ? 1_000 : 3_000, connections: 1, rows: 1 },
      single8: { count: quick ? 2_000 : 10_000, connections: 8, rows: 1 },
      rows100: { count: quick ? 3_000 : 15_000, connections: 1, rows: 100 },
    };
    for (let run = 0; run < runs; run++) {
      // Each figure next to its plain-SQL limit and the peer's, measured in the same minute.
      limit1.push(await plainInserts(url, schema, loads.single1));
      shape1.push(await ledgerShapedInserts(url, schema, loads.single1));
      single1.push(await singleAppends(one.store, quick ? 1_000 : 5_000, 1));
      if (peer) theirs.single1.push(await peer.single1());
      limit8.push(await plainInserts(url, schema, loads.single8));
      shape8.push(await ledgerShapedInserts(url, schema, loads.single8));
      single8.push(await singleAppends(eight.store, quick ? 2_000 : 10_000, 8));
      single8Ungrouped.push(await singleAppends(ungrouped.store, quick ? 2_000 : 10_000, 8));
      if (peer) theirs.single8.push(await peer.single8());
      limit100.push(await plainInserts(url, schema, loads.rows100));
      shape100.push(await ledgerShapedInserts(url, schema, loads.rows100));
      batch100.push(await batchAppends(one.store, quick ? 30 : 150));
      if (peer) theirs.batch100.push(await peer.batch100());
      const limitLatency = streamReadLatency('plain', url, schema, quick ? 300 : 1_000);
      limitReadP50.push(limitLatency.p50);
      limitReadP99.push(limitLatency.p99);
      const latency = streamReadLatency('ours', url, schema, quick ? 300 : 1_000);
      p50.push(latency.p50);
      p99.push(latency.p99);
      if (peer) {
        const peerLatency = peer.streamRead();
        theirs.p50.push(peerLatency.p50);
        theirs.p99.push(peerLatency.p99);
      }
    }
    const logSize = quick ? 50_000 : 200_000;
    await fill(eight.store, logSize);
    await peer?.fill(logSize);
    const total = (await one.store.ledgerDigest()).events;
    const limitRead: number[] = [];
    for (let run = 0; run < runs; run++) {
      limitRead.push(await plainReadAll(url, schema, total));
      whole.push(await readWholeLog(one.store, total));
      if (peer) theirs.whole.push(await peer.readAll());
    }
    const ours = {
      ...storeFigures({ single1, single8, batch100, p50, p99, whole }),
      appendSingleEventsPerSec8ConnUngrouped: Math.round(median(single8Ungrouped)),
      readAllEvents: total,
      limitInsertsPerSec1Conn: Math.round(median(limit1)),
      limitInsertsPerSec8Conn: Math.round(median(limit8)),
      limitInsertsPerSec100Rows: Math.round(median(limit100)),
      ledgerShapeInsertsPerSec1Conn: Math.round(median(shape1)),
      ledgerShapeInsertsPerSec8Conn: Math.round(median(shape8)),
      ledgerShapeInsertsPerSec100Rows: Math.round(median(shape100)),
      limitReadAllRowsPerSec: Math.round(median(limitRead)),
      limitReadStream200P50Ms: Number(median(limitReadP50).toFixed(3)),
      limitReadStream200P99Ms: Number(median(limitReadP99).toFixed(3)),
    };
    return {
      ours,
      peer: peer && storeFigures(theirs),
    };
  } finally {
    await closeAll(one, eight, ungrouped);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required (postgres://…)');
    process.exit(2);
  }
  const result = await runEventStoreBench({ url, quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result.ours, null, 2));
}
