import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { median, payloadOfSize } from './stats';
import { MESSAGE_DB_APPEND_MANY, streamReadLatency } from './stream-read';

/**
 * The peer: Message DB (MIT, @eventide/message-db), installed by its own install script into a
 * database of its own on the same server, driven the way its documentation does (write_message,
 * get_stream_messages) and measured with the same five figures as our PostgreSQL store.
 */
export const MESSAGE_DB_DATABASE = 'fengcheng_bench_message_db';

export function installMessageDb(url: string): string {
  const server = new URL(url);
  const require = createRequire(import.meta.url);
  const installer = join(
    dirname(require.resolve('@eventide/message-db/package.json')),
    'database',
    'install.sh',
  );
  const env = {
    ...process.env,
    PGHOST: server.hostname,
    PGPORT: server.port || '5432',
    PGUSER: decodeURIComponent(server.username || 'postgres'),
    ...(server.password ? { PGPASSWORD: decodeURIComponent(server.password) } : {}),
    DATABASE_NAME: MESSAGE_DB_DATABASE,
  };
  execFileSync('dropdb', ['--if-exists', MESSAGE_DB_DATABASE], { env, stdio: 'ignore' });
  execFileSync('bash', [installer], { env, stdio: 'ignore' });
  const target = new URL(url);
  target.pathname = `/${MESSAGE_DB_DATABASE}`;
  return target.toString();
}

/** The five figures under the same keys as `runEventStoreBench`, so the two line up in one table. */
export interface StoreFigures {
  appendSingleEventsPerSec1Conn: number;
  appendSingleEventsPerSec8Conn: number;
  appendBatch100EventsPerSec: number;
  readStream200P50Ms: number;
  readStream200P99Ms: number;
  readAllEventsPerSec: number;
}

export async function runMessageDbBench(options: { url: string; quick?: boolean }): Promise<StoreFigures> {
  const url = installMessageDb(options.url);
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    options: '-c search_path=message_store,public',
  });
  const quick = options.quick ?? false;
  const runs = quick ? 1 : 3;
  const data = payloadOfSize(400);
  const write = (client: pg.PoolClient | pg.Pool, stream: string, expected: number | null) =>
    client.query('select message_store.write_message($1, $2, $3, $4, $5, $6)', [
      randomUUID(),
      stream,
      'VisitRecorded',
      data,
      { organisationId: 'hub-01' },
      expected,
    ]);

  try {
    const single1: number[] = [];
    const single8: number[] = [];
    const batch: number[] = [];
    const readP50: number[] = [];
    const readP99: number[] = [];
    const whole: number[] = [];
    for (let run = 0; run < runs; run++) {
      // Single appends, one connection, each to a new stream.
      {
        const n = quick ? 1_000 : 5_000;
        const client = await pool.connect();
        const started = performance.now();
        for (let i = 0; i < n; i++) await write(client, `case-${randomUUID()}`, -1);
        single1.push(n / ((performance.now() - started) / 1000));
        client.release();
      }
      // The same on 8 connections.
      {
        const n = quick ? 2_000 : 10_000;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            const client = await pool.connect();
            for (let i = 0; i < n / 8; i++) await write(client, `case-${randomUUID()}`, -1);
            client.release();
          }),
        );
        single8.push(n / ((performance.now() - started) / 1000));
      }
      // 100-event appends to one stream, in Message DB's fastest form (MESSAGE_DB_APPEND_MANY).
      {
        const appends = quick ? 30 : 150;
        const stream = `case-${randomUUID()}`;
        const started = performance.now();
        for (let a = 0; a < appends; a++) {
          const ids = Array.from({ length: 100 }, () => randomUUID());
          await pool.query(MESSAGE_DB_APPEND_MANY, [ids, stream, JSON.stringify(data)]);
        }
        batch.push((appends * 100) / ((performance.now() - started) / 1000));
      }
      // Reading a 200-event stream, timed in a process of its own (stream-read.ts).
      {
        const latency = streamReadLatency('message-db', url, '-', quick ? 300 : 1_000);
        readP50.push(latency.p50);
        readP99.push(latency.p99);
      }
      // The whole log from position 0.
      {
        const target = quick ? 50_000 : 200_000;
        const { rows } = await pool.query<{ n: string }>(
          'select count(*)::text as n from message_store.messages',
        );
        let have = Number(rows[0]!.n);
        while (have < target) {
          const ids = Array.from({ length: Math.min(1000, target - have) }, () => randomUUID());
          await pool.query(
            `select message_store.write_message(id::varchar, 'bulk-' || (n % 1000)::text, 'VisitRecorded', $2::jsonb, null, null)
               from unnest($1::text[]) with ordinality as t(id, n) order by n`,
            [ids, JSON.stringify(data)],
          );
          have += ids.length;
        }
        const client = await pool.connect();
        const started = performance.now();
        let after = 0n;
        let read = 0;
        for (;;) {
          const result = await client.query(
            'select * from message_store.messages where global_position > $1 order by global_position limit 10000',
            [after.toString()],
          );
          if (result.rows.length === 0) break;
          read += result.rows.length;
          after = BigInt(result.rows[result.rows.length - 1].global_position);
        }
        whole.push(read / ((performance.now() - started) / 1000));
        client.release();
      }
    }
    return {
      appendSingleEventsPerSec1Conn: Math.round(median(single1)),
      appendSingleEventsPerSec8Conn: Math.round(median(single8)),
      appendBatch100EventsPerSec: Math.round(median(batch)),
      readStream200P50Ms: Number(median(readP50).toFixed(3)),
      readStream200P99Ms: Number(median(readP99).toFixed(3)),
      readAllEventsPerSec: Math.round(median(whole)),
    };
  } finally {
    await pool.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL to the Postgres server');
  console.log(await runMessageDbBench({ url, quick: process.argv.includes('--quick') }));
}
