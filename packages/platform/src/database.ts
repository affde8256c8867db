import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { kyselyPool } from './pg-query';
import { type CheckpointLimits, startCheckpoints } from './pglite-checkpoints';
import { PGliteDialect } from './pglite-dialect';
import { EmbeddedPostgres } from './pglite-thread';

// Return int8 (bigint) columns as JS bigint rather than strings: positions are 64-bit.
pg.types.setTypeParser(20, (value: string) => BigInt(value));

/** A handle on one Postgres database: a server reached with pg, or embedded PGlite. */
export type Database =
  | { kind: 'postgres'; db: Kysely<any>; pool: pg.Pool; schema: string; close(): Promise<void> }
  | { kind: 'pglite'; db: Kysely<any>; pglite: EmbeddedPostgres; schema: string; close(): Promise<void> };

export interface OpenDatabaseOptions {
  /** postgres://… — when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder; `memory://` or absent for an in-memory database. */
  dataDir?: string | undefined;
  /** Schema every unqualified name resolves to (created if missing). Default `public`. */
  schema?: string | undefined;
  /** Pool size for a server. Default 10. */
  maxConnections?: number | undefined;
  /** Server settings for every connection (`-c name=value` on a server, `set` on PGlite). */
  settings?: Readonly<Record<string, string | number>> | undefined;
  /** Embedded only: when to checkpoint (see startCheckpoints); `false` never while open. */
  checkpoints?: CheckpointLimits | false | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SETTING_NAME = /^[a-z_][a-z0-9_]*$/;
const SETTING_VALUE = /^[A-Za-z0-9._-]+$/;

function settingsOf(options: OpenDatabaseOptions): Array<[string, string]> {
  return Object.entries(options.settings ?? {}).map(([name, raw]) => {
    const value = String(raw);
    if (!SETTING_NAME.test(name) || !SETTING_VALUE.test(value))
      throw new Error(`invalid database setting: ${name}=${value}`);
    return [name, value];
  });
}

/** Opens a database and makes sure its schema exists and is first on the search path. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const settings = settingsOf(options);

  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      options: [
        `-c search_path=${schema},public`,
        ...settings.map(([name, value]) => `-c ${name}=${value}`),
      ].join(' '),
    });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    if (schema !== 'public') await pool.query(`create schema if not exists ${schema}`);
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: kyselyPool(pool) }) });
    return {
      kind: 'postgres',
      db,
      pool,
      schema,
      close: async () => {
        await db.destroy();
        // Kysely ends the pool only if it ever ran a query: a process that used the pool alone
        // (the event store does) would otherwise keep idle connections for their 10-s timeout.
        if (!pool.ending) await pool.end();
      },
    };
  }

  const dataDir = options.dataDir && options.dataDir !== 'memory://' ? options.dataDir : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // In a thread of its own, loaded only for the embedded mode (the WASM build costs ~40 MB).
  const pglite = await EmbeddedPostgres.create(dataDir);
  await pglite.exec(
    `${schema !== 'public' ? `create schema if not exists ${schema}; ` : ''}set search_path to ${schema}, public` +
      settings.map(([name, value]) => `; set ${name} to '${value}'`).join(''),
  );
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
  const checkpoints = options.checkpoints === false ? undefined : startCheckpoints(db, options.checkpoints);
  return {
    kind: 'pglite',
    db,
    pglite,
    schema,
    close: async () => {
      await checkpoints?.stop();
      await db.destroy();
      await pglite.close();
    },
  };
}
