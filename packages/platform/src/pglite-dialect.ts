import type { PGlite } from '@electric-sql/pglite';
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

/**
 * A Kysely dialect for PGlite that behaves like a pool of exactly one connection.
 *
 * PGlite is a single Postgres backend. A transaction is a run of separate queries
 * (BEGIN … COMMIT), so without an exclusive hand-over any other caller's query would
 * land inside someone else's transaction. Each acquire waits for the previous holder
 * to release, which is what a pg pool of size 1 does.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
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
  private tail: Promise<void> = Promise.resolve();
  private readonly connection: PGliteConnection;

  constructor(pglite: PGlite) {
    this.connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.connection.release = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.connection.release;
    this.connection.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    // The PGlite instance is owned by whoever opened it (see openDatabase).
  }
}

/** Type OIDs whose binary form is their text's UTF-8 bytes: text, json, varchar. */
const TEXT_TYPES = [25, 114, 1043];
const bytesSerializers = new WeakMap<PGlite, Record<number, (value: unknown) => unknown>>();

/**
 * PGlite's serializers for text and json, except that a Buffer (`textBytes`) goes through as
 * bytes, in binary format, the way node-postgres sends it: PGlite would turn it back into a
 * string (text) or into JSON of the Buffer object (json).
 */
function bytesAsIs(pglite: PGlite): Record<number, (value: unknown) => unknown> {
  let serializers = bytesSerializers.get(pglite);
  if (!serializers) {
    const own = pglite.serializers as Record<number, ((value: unknown) => string) | undefined>;
    serializers = Object.fromEntries(
      TEXT_TYPES.map((oid) => {
        const fallback = own[oid] ?? ((value: unknown) => String(value));
        return [oid, (value: unknown) => (value instanceof Uint8Array ? value : fallback(value))];
      }),
    );
    bytesSerializers.set(pglite, serializers);
  }
  return serializers;
}

class PGliteConnection implements DatabaseConnection {
  release: (() => void) | undefined;
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const copied = copyDataOf(compiledQuery.parameters);
    if (copied) {
      // A `copy … from stdin` (copyRows): PGlite reads COPY data from the blob a query brings.
      const { sql } = compiledQuery;
      if (!sql.endsWith(FROM_STDIN)) throw new Error('COPY data for a statement that does not read stdin');
      await this.pglite.query(`${sql.slice(0, -FROM_STDIN.length)} from '/dev/blob'`, [], {
        blob: new Blob([copied.text]),
      });
      // No row count, as on a server: Kysely counts rows only for insert, update, delete and merge.
      return { rows: [] };
    }
    const result = await this.pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters], {
      // Typed as returning strings; PGlite's bind writes a Uint8Array as-is, in binary format.
      serializers: bytesAsIs(this.pglite) as Record<number, (value: unknown) => string>,
    });
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
