import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type CopyData, copyDataOf } from './copy';

/**
 * `client.query` in pg's callback form, as a promise. Awaited in pg's own promise form (pg
 * 8.23), a client's results stayed reachable through the young collections that followed, so
 * every collection copied them again and promoted them: Kysely reading 200 rows at a time took
 * p99 8-10 ms that way and 3.0-3.2 ms this way (scavenges 4.4 ms against 1-2.6 ms), and a bare
 * client's 200-event stream read p99 17-18 ms against 5.9 ms. `pool.query` uses the callback
 * form itself and needs none of this.
 */
export function queryOn<R = pg.QueryResultRow>(
  client: pg.ClientBase,
  config: pg.QueryConfig | pg.QueryArrayConfig,
): Promise<{ rows: R[]; rowCount: number | null; command: string }> {
  return new Promise((resolve, reject) => {
    client.query(config as pg.QueryConfig, (error: Error | undefined, result: pg.QueryResult) => {
      if (error) reject(error);
      else resolve(result as unknown as { rows: R[]; rowCount: number | null; command: string });
    });
  });
}

/** A `copy … from stdin` (see `copyRows`) on a client: its data streamed, answered once the server is done. */
function copyOn(
  client: pg.PoolClient,
  sql: string,
  data: CopyData,
): Promise<{ rows: never[]; rowCount: number; command: string }> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.once('error', reject);
    // 'finish' comes after the server's answer, with the connection ready for the next query.
    stream.once('finish', () => resolve({ rows: [], rowCount: stream.rowCount, command: 'COPY' }));
    stream.end(Buffer.from(data.text, 'utf8'));
  });
}

/** The pool as Kysely's Postgres dialect sees it, its clients querying through `queryOn`. */
export function kyselyPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      const adapted = {
        query: (sql: string, parameters: ReadonlyArray<unknown>) => {
          const copied = copyDataOf(parameters);
          if (copied) return copyOn(client, sql, copied);
          // Kysely hands over a fresh array of its own: no copy needed.
          return queryOn(client, { text: sql, values: parameters as unknown[] });
        },
        release: () => client.release(),
      };
      // Streaming (a cursor) is not configured, so Kysely never passes one.
      return adapted as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/**
 * A large text parameter as its UTF-8 bytes. Both drivers send a Buffer as-is, in binary format,
 * which for `text` and `json` is exactly the text: node-postgres copies it, where for a string
 * it measures and encodes it; PGlite's own encoder walks a string character by character in
 * JavaScript, twice (measuring, then encoding): 6-7 s of a 66 s embedded Yinchuan load went
 * to the projections' and the store's megabyte parameters. Only for a
 * parameter whose type is `text` or `json` (not `jsonb`, whose binary form has a version
 * byte, nor an array literal).
 */
export function textBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
