import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { copyDataOf, FROM_STDIN } from './copy';
import type { EmbeddedPostgres } from './pglite-thread';

/**
 * A Kysely dialect for embedded PGlite, a single Postgres backend in a thread of its own.
 *
 * A transaction there is a run of separate statements (BEGIN … COMMIT), so no other caller's
 * statement may reach the backend while one is open: it would land inside it. Statements
 * outside a transaction need no such hand-over: the thread runs what it is sent in order, so
 * they are sent at once, one behind the other, and the backend always has the next one
 * waiting instead of idling while this thread takes in an answer. One transaction at a time
 * holds the backend, from its BEGIN until Kysely releases its connection; meanwhile everyone
 * else's statements (and the next BEGIN) wait here.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: EmbeddedPostgres) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  /** The connection whose transaction is open, and what settles once it is released. */
  holder: PGliteConnection | undefined;
  released: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly pglite: EmbeddedPostgres) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteConnection(this.pglite, this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const own = connection as PGliteConnection;
    while (this.holder !== undefined) await this.released;
    // Taken in the same turn as the check: no one else's statement can slip in between.
    this.holder = own;
    this.released = new Promise<void>((resolve) => {
      this.release = resolve;
    });
    await own.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Held until here, not just until COMMIT: a COMMIT that failed is followed by a ROLLBACK,
    // which must not reach a transaction someone else began in between.
    if (this.holder !== connection) return;
    this.holder = undefined;
    this.release?.();
  }

  async destroy(): Promise<void> {
    // The PGlite instance is owned by whoever opened it (see openDatabase).
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(
    private readonly pglite: EmbeddedPostgres,
    private readonly driver: PGliteDriver,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // Checked and sent in one turn (no await between): a BEGIN cannot come between the two.
    while (this.driver.holder !== undefined && this.driver.holder !== this) await this.driver.released;
    const copied = copyDataOf(compiledQuery.parameters);
    if (copied) {
      // A `copy … from stdin` (copyRows): PGlite reads COPY data from the blob a query brings.
      const { sql } = compiledQuery;
      if (!sql.endsWith(FROM_STDIN)) throw new Error('COPY data for a statement that does not read stdin');
      await this.pglite.query(`${sql.slice(0, -FROM_STDIN.length)} from '/dev/blob'`, [], {
        blob: copied.text,
      });
      // No row count, as on a server: Kysely counts rows only for insert, update, delete and merge.
      return { rows: [] };
    }
    const result = await this.pglite.query<R>(compiledQuery.sql, compiledQuery.parameters);
    const affected = result.affectedRows;
    return {
      rows: result.rows,
      ...(affected !== undefined ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }

  // biome-ignore lint/correctness/useYield: PGlite has no server-side cursor streaming.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries');
  }
}
