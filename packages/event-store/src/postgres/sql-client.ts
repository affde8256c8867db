import { type Database, queryOn } from '@fengcheng/platform';
import { CompiledQuery } from 'kysely';

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

export function sqlClientFor(database: Database): SqlClient {
  if (database.kind === 'postgres') {
    const { pool } = database;
    return {
      // A name makes pg prepare the statement once per connection and skip parse/plan after.
      query: async (text, params = [], name) =>
        (await pool.query<Row>({ text, values: params, rowMode: 'array', ...(name ? { name } : {}) })).rows,
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
          client.release(failed instanceof Error && !('code' in failed) ? failed : undefined);
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
