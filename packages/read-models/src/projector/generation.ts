import type { Database } from '@fengcheng/platform';
import {
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
  WithSchemaPlugin,
} from 'kysely';
import { createGenerationPointer, createReadModelTables, READ_MODEL_VERSION } from '../migrations';

export interface GenerationPointer {
  schema: string;
  generation: number;
  modelVersion: number;
}

/** `rm_<n>` beside `public`; `<base>_rm_<n>` beside any other base schema (a test's, say). */
export function generationSchemaName(baseSchema: string, generation: number): string {
  return baseSchema === 'public' ? `rm_${generation}` : `${baseSchema}_rm_${generation}`;
}

export function pointerTable(database: Database) {
  return sql.raw(`${database.schema}.read_model_generation`);
}

/** The current generation, or null before any projector or query process has set one up. */
export async function readPointer(
  database: Database,
  db: Kysely<any> = database.db,
): Promise<GenerationPointer | null> {
  const { rows: exists } = await sql<{ t: string | null }>`
    select to_regclass(${`${database.schema}.read_model_generation`})::text as t`.execute(db);
  if (!exists[0]?.t) return null;
  const { rows } = await sql<{ schema_name: string; generation: number; model_version: number }>`
    select schema_name, generation, model_version from ${pointerTable(database)} where id = 1`.execute(db);
  const row = rows[0];
  return row
    ? { schema: row.schema_name, generation: row.generation, modelVersion: row.model_version }
    : null;
}

/** Makes sure a current generation exists (an empty first one if none), and returns it. */
export async function ensureReadModels(database: Database): Promise<GenerationPointer> {
  const existing = await readPointer(database);
  if (existing) return existing;
  return database.db.transaction().execute(async (trx) => {
    // Two processes starting together must not both create the first generation.
    await sql`select pg_advisory_xact_lock(hashtext(${`fengcheng.read_models.${database.schema}`}))`.execute(
      trx,
    );
    await createGenerationPointer(trx, database.schema);
    const again = await readPointer(database, trx);
    if (again) return again;
    const schema = generationSchemaName(database.schema, 1);
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(trx);
    await createReadModelTables(trx, schema);
    await sql`insert into ${pointerTable(database)} (id, schema_name, generation, model_version)
      values (1, ${schema}, 1, ${READ_MODEL_VERSION})`.execute(trx);
    return { schema, generation: 1, modelVersion: READ_MODEL_VERSION };
  });
}

export async function checkpointOf(db: Kysely<any>, schema: string): Promise<bigint> {
  const { rows } = await sql<{ position: bigint | string }>`
    select position from ${sql.raw(`${schema}.projection_checkpoint`)} where id = 1`.execute(db);
  return BigInt(rows[0]?.position ?? 0);
}

/** Scopes every query to whichever generation is current when the query is compiled. */
class CurrentGenerationPlugin implements KyselyPlugin {
  constructor(private readonly schema: () => string) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return new WithSchemaPlugin(this.schema()).transformQuery(args);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

// A swap is noticed within this long by a process that did not make it; the old
// generation is dropped only after a longer grace period (see rebuildReadModels).
const REFRESH_MS = 1000;

/** Knows the current generation of one database, re-reading the pointer at most once a second. */
export class GenerationResolver {
  private checkedAt = Date.now();
  private refreshing: Promise<void> | null = null;
  readonly db: Kysely<any>;

  constructor(
    private readonly database: Database,
    private schema: string,
  ) {
    this.db = database.db.withPlugin(new CurrentGenerationPlugin(() => this.current()));
  }

  current(): string {
    if (Date.now() - this.checkedAt > REFRESH_MS) void this.refresh();
    return this.schema;
  }

  get stale(): boolean {
    return Date.now() - this.checkedAt > REFRESH_MS;
  }

  /** Told directly by a rebuild in this process. */
  swapped(schema: string): void {
    this.schema = schema;
    this.checkedAt = Date.now();
  }

  refresh(): Promise<void> {
    this.refreshing ??= readPointer(this.database)
      .then((pointer) => {
        if (pointer) this.schema = pointer.schema;
        this.checkedAt = Date.now();
      })
      .catch(() => {
        // The database may be closing; the next query tries again.
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }
}

const resolvers = new WeakMap<Database, Promise<GenerationResolver>>();

export function resolverFor(database: Database): Promise<GenerationResolver> {
  let resolver = resolvers.get(database);
  if (!resolver) {
    resolver = ensureReadModels(database).then((pointer) => new GenerationResolver(database, pointer.schema));
    resolver.catch(() => resolvers.delete(database));
    resolvers.set(database, resolver);
  }
  return resolver;
}

export async function notifySwapped(database: Database, schema: string): Promise<void> {
  const resolver = resolvers.get(database);
  if (resolver) (await resolver).swapped(schema);
}

/** The read models of the current generation, for a process that only queries them. */
export async function readModelsFor(database: Database): Promise<Kysely<any>> {
  const resolver = await resolverFor(database);
  if (resolver.stale) await resolver.refresh();
  return resolver.db;
}

/** The position the current generation has reached (0 before any event). */
export async function readCheckpoint(database: Database): Promise<bigint> {
  const pointer = await readPointer(database);
  return pointer ? checkpointOf(database.db, pointer.schema) : 0n;
}

/**
 * Drops every read-model generation of this database and the pointer to them: for a test's
 * clean-up (a test schema's `drop` does not reach the `<schema>_rm_<n>` schemas beside it).
 */
export async function dropAllReadModels(database: Database): Promise<void> {
  const pattern = `^${generationSchemaName(database.schema, 0).replace(/0$/, '')}[0-9]+$`;
  const { rows } = await sql<{ nspname: string }>`
    select nspname from pg_namespace where nspname ~ ${pattern}`.execute(database.db);
  for (const { nspname } of rows)
    await sql.raw(`drop schema if exists ${nspname} cascade`).execute(database.db);
  await sql.raw(`drop table if exists ${database.schema}.read_model_generation`).execute(database.db);
  resolvers.delete(database);
}
