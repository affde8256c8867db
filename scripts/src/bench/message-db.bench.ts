import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { payloadOfSize } from './stats';
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

/**
 * The peer's five figures as steps, each run right after the same figure of ours (see
 * `runEventStoreBench`): a ratio then compares two loads measured in the same minute, not in
 * sections minutes apart on a machine whose speed drifts.
 */
export interface MessageDbBench {
  single1(): Promise<number>;
  single8(): Promise<number>;
  batch100(): Promise<number>;
  streamRead(): { p50: number; p99: number };
  /** Grows the log to `target` messages (once), for `readAll`. */
  fill(target: number): Promise<void>;
  readAll(): Promise<number>;
  close(): Promise<void>;
}

export async function openMessageDbBench(options: { url: string; quick?: boolean }): Promise<MessageDbBench> {
  const url = installMessageDb(options.url);
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    options: '-c search_path=message_store,public',
  });
  const quick = options.quick ?? false;
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
  return {
    // Single appends, one connection, each to a new stream.
    async single1() {
      const n = quick ? 1_000 : 5_000;
      const client = await pool.connect();
      try {
        const started = performance.now();
        for (let i = 0; i < n; i++) await write(client, `case-${randomUUID()}`, -1);
        return n / ((performance.now() - started) / 1000);
      } finally {
        client.release();
      }
    },
    // The same on 8 connections.
    async single8() {
      const n = quick ? 2_000 : 10_000;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = await pool.connect();
          try {
            for (let i = 0; i < n / 8; i++) await write(client, `case-${randomUUID()}`, -1);
          } finally {
            client.release();
          }
        }),
      );
      return n / ((performance.now() - started) / 1000);
    },
    // 100-event appends to one stream, in Message DB's fastest form (MESSAGE_DB_APPEND_MANY).
    async batch100() {
      const appends = quick ? 30 : 150;
      const stream = `case-${randomUUID()}`;
      const started = performance.now();
      for (let a = 0; a < appends; a++) {
        const ids = Array.from({ length: 100 }, () => randomUUID());
        await pool.query(MESSAGE_DB_APPEND_MANY, [ids, stream, JSON.stringify(data)]);
      }
      return (appends * 100) / ((performance.now() - started) / 1000);
    },
    // Reading a 200-event stream, timed in a process of its own (stream-read.ts).
    streamRead: () => streamReadLatency('message-db', url, '-', quick ? 300 : 1_000),
    async fill(target) {
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
    },
    // The whole log from position 0.
    async readAll() {
      const client = await pool.connect();
      try {
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
        return read / ((performance.now() - started) / 1000);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
