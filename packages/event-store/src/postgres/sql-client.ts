import { type Database, queryOn } from '@fengcheng/platform';
import { CompiledQuery } from 'kysely';
import pg from 'pg';

export type Row = unknown[];
export type RunQuery = (text: string, params?: unknown[], name?: string) => Promise<Row[]>;

/**
 * The few ways the store talks SQL, over either backend. Rows come back as arrays in
 * select order: on the hot read path that spares pg building an object per row.
 */
export interface SqlClient {
  query: RunQuery;
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (query: RunQuery) => Promise<T>): Promise<T>;
}

/**
 * SQLSTATE classes of errors about the statement's data, after which the connection is as good
 * as before: data exceptions (22), integrity constraints (23: a refused key), transaction
 * rollbacks (40: a deadlock, a serialization failure) and plpgsql raises (P0: the append-only
 * trigger). Any other error still closes the connection, as `pool.query` did: a prepared
 * statement whose result type a migration changed in another process (0A000) fails on its
 * connection until that connection goes.
 */
const STATEMENT_ERRORS = new Set(['22', '23', '40', 'P0']);

/**
 * Gives a connection back to the pool, closing it unless `error` is about the statement's data.
 * `pool.query` closes the connection on any error, so every refused insert (a retried event, a
 * stale 'no_stream') cost the next statement a new connection and its statements' preparing:
 * a retried event's lookup took 8-10 ms after its refused insert, and 1 ms alone, here.
 */
function release(client: pg.PoolClient, error: unknown): void {
  const kept =
    error === undefined ||
    (error instanceof pg.DatabaseError && STATEMENT_ERRORS.has(String(error.code).slice(0, 2)));
  client.release(kept ? undefined : (error as Error));
}

export function sqlClientFor(database: Database): SqlClient {
  if (database.kind === 'postgres') {
    const { pool } = database;
    return {
      // pool.query's own steps in its callback form (one promise a statement, as it had), but
      // with `release` deciding whether the connection goes back.
      query: (text, params = [], name) =>
        new Promise<Row[]>((resolve, reject) => {
          pool.connect((connectError, client) => {
            if (connectError || !client) {
              reject(connectError);
              return;
            }
            // A name makes pg prepare the statement once per connection and skip parse/plan after.
            const config = { text, values: params, rowMode: 'array' as const, ...(name ? { name } : {}) };
            client.query(config, (error: Error | undefined, result: pg.QueryArrayResult<Row>) => {
              release(client, error);
              if (error) reject(error);
              else resolve(result.rows);
            });
          });
        }),
      transaction: async (work) => {
        const client = await pool.connect();
        let failed: unknown;
        try {
          await client.query('begin');
          const result = await work(
            async (text, params = []) =>
              (await queryOn<Row>(client, { text, values: params, rowMode: 'array' })).rows,
          );
          await client.query('commit');
          return result;
        } catch (error) {
          failed = error;
          await client.query('rollback').catch(() => undefined);
          throw error;
        } finally {
          release(client, failed);
        }
      },
    };
  }
  // PGlite is one backend shared by everyone in the process: every query goes through the
  // Kysely dialect, whose hand-over keeps ours out of someone else's open transaction.
  const { db } = database;
  const toArrays = (rows: unknown[]): Row[] => rows.map((row) => Object.values(row as object));
  return {
    query: async (text, params = []) =>
      toArrays((await db.executeQuery(CompiledQuery.raw(text, params))).rows),
    transaction: (work) =>
      db
        .transaction()
        .execute((trx) =>
          work(async (text, params = []) =>
            toArrays((await trx.executeQuery(CompiledQuery.raw(text, params))).rows),
          ),
        ),
  };
}

/** The SQLSTATE and constraint of a driver error (pg and PGlite both carry them). */
export function pgErrorOf(error: unknown): { code?: string; constraint?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof constraint === 'string' ? { constraint } : {}),
  };
}
