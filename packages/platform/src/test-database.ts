import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from './database';

/**
 * A fresh, isolated database for one test file: a new schema on the Postgres server when
 * DATABASE_URL is set, a new in-memory PGlite otherwise. `drop()` removes the schema and the
 * read-model generation schemas made beside it.
 */
export async function openTestDatabase(
  options: { maxConnections?: number; forceEmbedded?: boolean } = {},
): Promise<Database & { drop(): Promise<void> }> {
  const url = options.forceEmbedded ? undefined : process.env.DATABASE_URL;
  if (!url) {
    const database = await openDatabase({});
    return Object.assign(database, { drop: () => database.close() });
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase({ url, schema, maxConnections: options.maxConnections });
  return Object.assign(database, {
    drop: async () => {
      await database.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // Read-model generations live beside the base schema as `<schema>_rm_<n>`.
        const { rows } = await client.query<{ name: string }>(
          `select nspname as name from pg_namespace where nspname = $1 or nspname like $2`,
          [schema, `${schema}\\_rm\\_%`],
        );
        for (const { name } of rows) await client.query(`drop schema if exists ${name} cascade`);
      } finally {
        await client.end();
      }
    },
  });
}

/** The backends a contract suite should run against: PGlite always, the server when configured. */
export function reachableBackends(): Array<{ name: 'pglite' | 'postgres'; embedded: boolean }> {
  const backends: Array<{ name: 'pglite' | 'postgres'; embedded: boolean }> = [
    { name: 'pglite', embedded: true },
  ];
  if (process.env.DATABASE_URL) backends.push({ name: 'postgres', embedded: false });
  return backends;
}
