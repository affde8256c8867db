/**
 * The 200-event stream read of the store section, timed in a node process of its own, for our
 * store, the peer and the plain-SQL limit alike. Timed inside the bench process, the reads
 * inherited the heap that the section's plain-SQL inserts had left: V8 then marked its old
 * generation all through the reads, each young collection took 2.3-3.7 ms instead of 0.6, and
 * they made the p99 (about 50 of 1,000 reads ran into one). A fresh process measures the store,
 * not the bench.
 *
 *   tsx scripts/src/bench/stream-read.ts <ours|message-db|plain> <url> <schema> <reads>   (prints one JSON object)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPostgresEventStore, type NewEvent } from '@fengcheng/event-store';
import { openDatabase } from '@fengcheng/platform';
import pg from 'pg';
import { payloadOfSize, percentile } from './stats';

export type StreamReadStore = 'ours' | 'message-db' | 'plain';
const STORES: readonly string[] = ['ours', 'message-db', 'plain'] satisfies StreamReadStore[];

/** p50 and p99 (ms) of `reads` reads of one 200-event stream, measured in a child process. */
export function streamReadLatency(
  store: StreamReadStore,
  url: string,
  schema: string,
  reads: number,
): { p50: number; p99: number } {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), store, url, schema, String(reads)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(output) as { p50: number; p99: number };
}

async function time(read: () => Promise<number>, reads: number) {
  for (let i = 0; i < 50; i++) await read(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reads; i++) {
    const started = performance.now();
    const count = await read();
    times.push(performance.now() - started);
    if (count !== 200) throw new Error(`read ${count} events, expected 200`);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** An event whose JSON (id, type, times, data, metadata) is about 400 bytes. */
export function benchEvent(i: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'VisitRecorded',
    occurredAt: '2026-11-20T09:30:00+08:00',
    data: {
      visitId: randomUUID(),
      workerId: 'w-000123',
      mode: 'home',
      durationMinutes: 45 + (i % 30),
      services: ['daily_living', 'counselling', 'health'],
      notes: { ciphertext: 'x'.repeat(120), keyId: 'k-1' },
    },
    metadata: { organisationId: 'org-0007', keyId: 'key-0001', schemaVersion: 1 },
  };
}

async function ours(url: string, schema: string, reads: number) {
  const database = await openDatabase({ url, schema, maxConnections: 1 });
  const store = await createPostgresEventStore(database);
  try {
    const streamId = `bench-read-${randomUUID()}`;
    await store.append(
      streamId,
      Array.from({ length: 200 }, (_, i) => benchEvent(i)),
    );
    return await time(async () => (await store.readStream(streamId)).length, reads);
  } finally {
    await store.close();
    await database.close();
  }
}

/**
 * The limit: the same 200 events' texts in a table keyed by (stream, version), read back with one
 * prepared select and each text JSON.parsed. No hash chain, no recorded-event objects.
 */
async function plain(url: string, schema: string, reads: number) {
  // A pool of one, as our store reads through (pool.query, pg's callback form): awaited in pg's
  // promise form (a client's query, pg 8.23), each read's rows outlived several young collections,
  // which then took 10-18 ms each and made the p99 (see queryOn in @fengcheng/platform).
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const table = `"${schema}".plain_stream_read`;
    await pool.query(`create schema if not exists "${schema}"`);
    await pool.query(
      `create table if not exists ${table} (stream_id text collate "C" not null, version integer not null, event text not null, primary key (stream_id, version))`,
    );
    const stream = `bench-read-${randomUUID()}`;
    const texts = Array.from({ length: 200 }, (_, i) => JSON.stringify(benchEvent(i)));
    await pool.query(
      `insert into ${table} select $1, v, e from unnest($2::text[]) with ordinality as t(e, v)`,
      [stream, texts],
    );
    return await time(async () => {
      const { rows } = await pool.query<unknown[]>({
        name: 'plain-stream-read',
        text: `select version, event from ${table} where stream_id = $1 order by version`,
        values: [stream],
        rowMode: 'array',
      });
      return rows.map((row) => JSON.parse(row[1] as string) as unknown).length;
    }, reads);
  } finally {
    await pool.end();
  }
}

/**
 * Message DB's fastest append of many messages to one stream ($1 their ids, $2 the stream, $3 the
 * data of each): it has no batch call, so one statement over unnest.
 */
export const MESSAGE_DB_APPEND_MANY = `select message_store.write_message(id::varchar, $2, 'VisitRecorded', $3::jsonb, null, null)
  from unnest($1::text[]) with ordinality as t(id, n) order by n`;

async function messageDb(url: string, reads: number) {
  // A pool of one, like ours and the limit (see `plain`).
  const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c search_path=message_store,public' });
  try {
    const stream = `case-${randomUUID()}`;
    await pool.query(MESSAGE_DB_APPEND_MANY, [
      Array.from({ length: 200 }, () => randomUUID()),
      stream,
      JSON.stringify(payloadOfSize(400)),
    ]);
    return await time(
      async () =>
        (await pool.query('select * from message_store.get_stream_messages($1, 0, 1000)', [stream])).rows
          .length,
      reads,
    );
  } finally {
    await pool.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [store, url, schema, reads] = process.argv.slice(2);
  if (!store || !STORES.includes(store) || !url || !schema || !reads) {
    console.error('usage: stream-read.ts <ours|message-db|plain> <url> <schema> <reads>');
    process.exit(2);
  }
  const result =
    store === 'ours'
      ? await ours(url, schema, Number(reads))
      : store === 'plain'
        ? await plain(url, schema, Number(reads))
        : await messageDb(url, Number(reads));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
