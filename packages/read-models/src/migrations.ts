import { type Kysely, sql } from 'kysely';
import { countType, OUTCOME_COUNTS, OUTCOME_TERMS } from './projections/project-outcome-figures';

/**
 * Bump when the tables below change. Read models are disposable: a new layout is never
 * migrated in place, it is rebuilt from the event log into a fresh generation.
 */
export const READ_MODEL_VERSION = 11;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(name: string): void {
  if (!SCHEMA_NAME.test(name)) throw new Error(`invalid schema name: ${name}`);
}

/**
 * Every text column compares its bytes ("C"): ids, codes and names sort and index the same on
 * any server (for UTF-8, byte order is code point order, as under C.UTF-8), and a sort or index
 * build on them uses Postgres's abbreviated keys, which it does not for a libc locale. Readying
 * a rebuilt generation of 1M synthetic events built the ledger's case index in 0.69 s against
 * 1.05 s under C.UTF-8, and its (worker, day) index in 0.78 s against 0.99 s.
 */
const TEXT = 'text collate "C"';

/** The DDL of one generation, every name qualified by `s`. */
function tables(s: string): string[] {
  return [
    `create table ${s}.organisation (
      organisation_id ${TEXT} primary key,
      name ${TEXT} not null,
      kind ${TEXT} not null,
      region_code ${TEXT} not null,
      parent_organisation_id ${TEXT}
    )`,
    `create index on ${s}.organisation (region_code text_pattern_ops)`,
    `create table ${s}.worker (
      worker_id ${TEXT} primary key,
      organisation_id ${TEXT} not null,
      certification ${TEXT} not null,
      role ${TEXT} not null
    )`,
    `create index on ${s}.worker (organisation_id)`,
    `create table ${s}.project (
      project_id ${TEXT} primary key,
      organisation_id ${TEXT} not null,
      name ${TEXT} not null,
      brand ${TEXT},
      funding_source ${TEXT} not null,
      region_code ${TEXT}
    )`,
    `create table ${s}.case_summary (
      case_id ${TEXT} primary key,
      organisation_id ${TEXT} not null,
      worker_id ${TEXT} not null,
      project_id ${TEXT} not null,
      community_code ${TEXT} not null,
      target_groups ${TEXT} not null,
      target_mask integer not null,
      risk_level ${TEXT} not null,
      status ${TEXT} not null,
      opened_at timestamptz not null,
      opened_day date not null,
      closed_at timestamptz,
      closed_day date,
      closure_reason ${TEXT},
      goal_attainment integer,
      last_visit_at timestamptz,
      visits integer not null,
      service_instances integer not null,
      referrals_made integer not null,
      referrals_accepted integer not null,
      referrals_declined integer not null,
      referrals_completed integer not null,
      referrals_cancelled integer not null,
      referrals_open integer not null,
      resources_linked integer not null,
      resource_value_yuan double precision not null,
      assessments integer not null,
      intake_risk_level ${TEXT} not null,
      assessment_log ${TEXT} not null,
      first_assessment_score double precision,
      latest_assessment_score double precision,
      transfers integer not null,
      event_count integer not null,
      last_version integer not null,
      chain_head ${TEXT} not null,
      last_position bigint not null
    )`,
    // Project outcomes read every case: in project order from this index alone, they skip a
    // sort of the whole wide table that spilled to disk at scale.
    `create index on ${s}.case_summary (project_id) include (status, opened_day, closed_day, opened_at, closed_at, closure_reason, goal_attainment, assessments, first_assessment_score, latest_assessment_score, community_code, target_mask)`,
    `create index on ${s}.case_summary (worker_id)`,
    // Workloads and filtered summaries of a region read their cases' figures from this index alone.
    `create index on ${s}.case_summary (community_code text_pattern_ops) include (worker_id, status, risk_level, last_visit_at, opened_at, referrals_open, target_mask, project_id, organisation_id, opened_day, closed_day)`,
    `create table ${s}.counted_entry (
      event_id uuid not null,
      kind ${TEXT} not null,
      case_id ${TEXT},
      occurred_at timestamptz not null,
      day date not null,
      community_code ${TEXT} not null,
      target_mask integer not null,
      service_mask integer not null,
      project_id ${TEXT} not null,
      organisation_id ${TEXT} not null,
      worker_id ${TEXT},
      service_instances integer not null,
      value_yuan double precision not null,
      voided boolean not null
    )`,
    // Keyed apart from the table, so a rebuild fills it unkeyed and sorts the key once at the end.
    `alter table ${s}.counted_entry add primary key (event_id)`,
    // Edge days of a period that does not start or end on a month boundary, and visit windows.
    `create index on ${s}.counted_entry (day)`,
    // Listed workers' visits in the last 7/30 days: looked up worker by worker, or read from the
    // window alone when it holds fewer visits than the lookups would cost — the planner picks by
    // the statistics. For 灵武市's 1,252 workers at 10× Yinchuan: a window of 2,333 visits in
    // 1.1 ms from the second index against 6.4 ms of lookups; one of 34,000 in 9 ms by lookups.
    `create index on ${s}.counted_entry (worker_id, day) where kind = 'visit' and not voided`,
    `create index on ${s}.counted_entry (day) include (worker_id) where kind = 'visit' and not voided`,
    // A case's standing visits, when a void may have taken its latest one (recomputeLastVisits):
    // without it each such batch of the live projector read the whole table, and catching up
    // slowed as the table grew (1M synthetic events: 6.2k events/s).
    `create index on ${s}.counted_entry (case_id) include (occurred_at, event_id) where kind = 'visit' and not voided`,
    `create table ${s}.service_instance_monthly (
      month date not null,
      county_code ${TEXT} not null,
      target_mask integer not null,
      service_mask integer not null,
      project_id ${TEXT} not null,
      organisation_id ${TEXT} not null,
      service_instances bigint not null
    )`,
    // The four sums tables are keyed apart from the table, like the ledger: a rebuild writes
    // them whole at its end (424,000 monthly rows for 1 million synthetic events), unkeyed.
    `alter table ${s}.service_instance_monthly add primary key (month, county_code, target_mask, service_mask, project_id, organisation_id)`,
    `create table ${s}.service_instance_daily (
      organisation_id ${TEXT} not null,
      day date not null,
      service_instances bigint not null
    )`,
    `alter table ${s}.service_instance_daily add primary key (organisation_id, day)`,
    `create index on ${s}.service_instance_monthly (organisation_id)`,
    `create index on ${s}.service_instance_monthly (project_id)`,
    `create table ${s}.service_instance_region_monthly (
      month date not null,
      township_code ${TEXT} not null,
      target_mask integer not null,
      service_mask integer not null,
      service_instances bigint not null
    )`,
    `alter table ${s}.service_instance_region_monthly add primary key (month, township_code, target_mask, service_mask)`,
    // The city- and county-level sums (the total, by county, month, group or service): a sixth
    // of the township rows to read (4,600 against 29,300 at 10× Yinchuan).
    `create table ${s}.service_instance_county_monthly (
      month date not null,
      county_code ${TEXT} not null,
      target_mask integer not null,
      service_mask integer not null,
      service_instances bigint not null
    )`,
    `alter table ${s}.service_instance_county_monthly add primary key (month, county_code, target_mask, service_mask)`,
    `create table ${s}.case_activity_daily (
      day date not null,
      community_code ${TEXT} not null,
      target_mask integer not null,
      project_id ${TEXT} not null,
      organisation_id ${TEXT} not null,
      referrals_made integer not null,
      referrals_accepted integer not null,
      referrals_completed integer not null,
      resources_linked integer not null,
      resource_value_yuan double precision not null,
      primary key (day, community_code, target_mask, project_id, organisation_id)
    )`,
    `create table ${s}.project_outcome (
      project_id ${TEXT} primary key,
      ${OUTCOME_COUNTS.map((column) => `${column} ${countType(column)} not null`).join(',\n      ')},
      ${OUTCOME_TERMS.map((column) => `${column} numeric not null`).join(',\n      ')},
      median_days double precision
    )`,
    `create table ${s}.supervision_daily (
      day date not null,
      supervisor_id ${TEXT} not null,
      supervisee_id ${TEXT} not null,
      minutes integer not null,
      primary key (day, supervisor_id, supervisee_id)
    )`,
    `create table ${s}.region_summary (
      region_code ${TEXT} primary key,
      level ${TEXT} not null,
      cases_open integer not null,
      cases_closed integer not null,
      service_instances bigint not null,
      workers integer not null,
      organisations integer not null
    )`,
    `create table ${s}.projection_checkpoint (
      id smallint primary key check (id = 1),
      position bigint not null,
      events bigint not null,
      updated_at timestamptz not null default now()
    )`,
    `insert into ${s}.projection_checkpoint (id, position, events) values (1, 0, 0)`,
  ];
}

export interface CreateSchemaOptions {
  /**
   * Leave out the secondary indexes and the keys made apart from their tables (the ledger's,
   * the sums tables'): a rebuild fills faster without them. `readyGenerationTables` adds them
   * at the end of the rebuild, `createReadModelIndexes` when a rebuild outgrows its memory.
   */
  deferIndexes?: boolean;
}

const isDeferrable = (statement: string) =>
  statement.startsWith('create index ') || statement.startsWith('alter table ');

/** Adds the indexes and key a generation created with `deferIndexes` left out. */
export async function createReadModelIndexes(db: Kysely<any>, schemaName: string): Promise<void> {
  assertSchemaName(schemaName);
  for (const statement of tables(schemaName).filter(isDeferrable)) await sql.raw(statement).execute(db);
}

/** Creates the schema `schemaName` holding one empty generation of every read-model table. */
export async function createReadModelSchema(
  db: Kysely<any>,
  schemaName: string,
  options: CreateSchemaOptions = {},
): Promise<void> {
  await db.transaction().execute((trx) => createReadModelTables(trx, schemaName, options));
}

/** As `createReadModelSchema`, inside the caller's transaction. */
export async function createReadModelTables(
  trx: Kysely<any>,
  schemaName: string,
  options: CreateSchemaOptions = {},
): Promise<void> {
  assertSchemaName(schemaName);
  await sql.raw(`create schema ${schemaName}`).execute(trx);
  for (const statement of tables(schemaName)) {
    if (options.deferIndexes && isDeferrable(statement)) continue;
    await sql.raw(statement).execute(trx);
  }
}

/** Tables made ready for the swap at once: the work is the server's, on two cores here. */
const READY_IN_PARALLEL = 2;

/**
 * Readies a rebuilt generation before it goes live, each table on its own: given the keys and
 * indexes a rebuild deferred (`deferred`), then vacuumed and analysed — without planner
 * statistics and a visibility map the planner guessed a whole-table sort for project outcomes
 * instead of reading the covering index alone. Two tables at a time, largest first: one after
 * the other these steps took 6.6 s of a 1-million-event rebuild with one core idle.
 *
 * The rebuild fills its tables logged: the write-ahead log of their rows is written by the server
 * while node analyses the log (the rebuild's apply time did not change). Filled unlogged, each
 * table had to be made logged here, which rewrote it: readying a Yinchuan ×10 generation took
 * 9.1 s that way against 6.6 s now, and its rebuild 50.5-53.2 s against 47.6-47.7 s (four runs,
 * alternating).
 *
 * The vacuums wait until every table is indexed. A vacuum cannot mark rows all-visible while a
 * statement that began before them still runs: vacuumed beside another table's index build (or,
 * when the tables were filled unlogged, its rewrite), 8 of 14 tables of a Yinchuan ×1 rebuild
 * (all of case_summary at ×10) kept no page all-visible, and 灵武市's workloads read case
 * summaries by a sequential scan, 15 ms instead of 3.6. Vacuums running side by side do not
 * hold each other back; analyses come after them.
 */
export async function readyGenerationTables(
  db: Kysely<any>,
  schemaName: string,
  options: { deferred: boolean },
): Promise<void> {
  assertSchemaName(schemaName);
  const { rows } = await sql<{ relname: string }>`
    select c.relname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schemaName} and c.relkind = 'r'
    order by c.relpages desc, c.relname`.execute(db);
  const deferred = options.deferred ? tables(schemaName).filter(isDeferrable) : [];
  const ofTable = (statement: string, relname: string) => statement.includes(` ${schemaName}.${relname} `);
  const stray = deferred.find((statement) => !rows.some((row) => ofTable(statement, row.relname)));
  if (stray) throw new Error(`no table in ${schemaName} for: ${stray}`);
  const eachTable = async (step: (table: string, row: (typeof rows)[number]) => Promise<void>) => {
    const queue = [...rows];
    await Promise.all(
      Array.from({ length: READY_IN_PARALLEL }, async () => {
        for (let next = queue.shift(); next; next = queue.shift())
          await step(`${schemaName}.${next.relname}`, next);
      }),
    );
  };
  await eachTable(async (_table, { relname }) => {
    // The key first: adding it locks out the table's index builds.
    const own = deferred.filter((statement) => ofTable(statement, relname));
    for (const statement of own.sort((a, b) => Number(b.startsWith('alter')) - Number(a.startsWith('alter'))))
      await sql.raw(statement).execute(db);
  });
  await eachTable(async (table) => {
    await sql.raw(`vacuum ${table}`).execute(db);
  });
  await eachTable(async (table) => {
    await sql.raw(`analyze ${table}`).execute(db);
  });
}

/**
 * Vacuums and analyses the tables of a live generation that have changed enough since their
 * last vacuum or analysis, by autovacuum's default thresholds (analyse past 50 + 10% of the
 * rows changed; vacuum past 1,000 + 20% inserted or 50 + 20% dead). Autovacuum does this on a
 * server where it is on; where it is off, and in PGlite, which has none, nothing else would:
 * a projector-filled generation kept the planner's guesses for empty tables (a county's
 * workloads took 1.8 s instead of 20 ms at 10× Yinchuan) and its index-only scans read the
 * heap.
 *
 * `settle` is for a projector that has gone quiet: it vacuums every table of the generation,
 * below the thresholds too, so that what the last batches wrote is marked all-visible before
 * analysts query it (after a load of 10× Yinchuan, 3,670 case summaries changed since the last
 * tend left 灵武市's workloads reading 3,945 heap rows: 8.7 ms, and 3.6 ms once vacuumed).
 * Every table, not those the statistics show changed: a backend reports its counts up to a
 * second after its transaction, so the last batches may not show yet. Vacuuming all 14 tables
 * at 10× Yinchuan with nothing to do took 50–60 ms; the analysis, a sample of up to 30,000
 * rows, still waits for its threshold. Returns the tables it vacuumed.
 */
export async function tendReadModelSchema(
  db: Kysely<any>,
  schemaName: string,
  options: { settle?: boolean } = {},
): Promise<string[]> {
  assertSchemaName(schemaName);
  const settle = options.settle === true;
  const { rows } = await sql<{ relname: string; due: boolean }>`
    select relname, due from (
      select relname,
        n_mod_since_analyze > 50 + 0.1 * n_live_tup
          or n_ins_since_vacuum > 1000 + 0.2 * n_live_tup
          or n_dead_tup > 50 + 0.2 * n_live_tup as due
      from pg_stat_user_tables where schemaname = ${schemaName}
    ) t
    where due or ${settle}
    order by relname`.execute(db);
  for (const { relname, due } of rows) {
    await sql.raw(`vacuum ${due ? '(analyze) ' : ''}${schemaName}.${relname}`).execute(db);
  }
  return rows.map((row) => row.relname);
}

/** Drops one generation's schema and everything in it. */
export async function dropReadModelSchema(db: Kysely<any>, schemaName: string): Promise<void> {
  assertSchemaName(schemaName);
  await sql.raw(`drop schema if exists ${schemaName} cascade`).execute(db);
}

/** The pointer to the current generation lives in the database's own (base) schema. */
export async function createGenerationPointer(db: Kysely<any>, baseSchema: string): Promise<void> {
  assertSchemaName(baseSchema);
  await sql
    .raw(
      `create table if not exists ${baseSchema}.read_model_generation (
        id smallint primary key check (id = 1),
        schema_name text not null,
        generation integer not null,
        model_version integer not null,
        swapped_at timestamptz not null default now()
      )`,
    )
    .execute(db);
}
