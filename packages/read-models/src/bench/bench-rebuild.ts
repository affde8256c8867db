import { createPostgresEventStore } from '@fengcheng/event-store';
import { createLogger, type Database, openTestDatabase } from '@fengcheng/platform';
import { sql } from 'kysely';
import { COLUMN_TYPES } from '../projections/columns';
import { dropAllReadModels, readModelsFor, readPointer } from '../projector/generation';
import { createProjector } from '../projector/projector';
import { rebuildReadModels } from '../projector/rebuild';
import { getServiceInstances } from '../queries/service-instances.query';
import { appendSyntheticLog } from './synthetic-log';

/** Every table the projections write. */
const TABLES = Object.keys(COLUMN_TYPES);

/**
 * A digest of each read-model table's rows, worked out by the server: md5 over the rows' md5s in
 * the order of their text. Two generations hold the same rows exactly when their digests agree;
 * holding both generations' rows in this process, then their JSON, took gigabytes at a million
 * events (and ran out of heap comparing the two texts).
 */
async function snapshot(database: Database): Promise<Record<string, string>> {
  const pointer = await readPointer(database);
  const tables: Record<string, string> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ digest: string | null }>`
      select md5(string_agg(md5(t::text), '' order by t::text)) as digest
      from ${sql.raw(`${pointer!.schema}.${table}`)} t`.execute(database.db);
    tables[table] = String(rows[0]?.digest ?? 'empty');
  }
  return tables;
}

/**
 * The limit a projection is read against on this machine ("one trivial counter", issue #6): the
 * same log read in the rebuild's batches with plain SQL and no ledger logic, the next batch read
 * while this one is applied, each event parsed and counted by type, and the counts written with a
 * checkpoint in one transaction per batch.
 */
async function trivialCounter(database: Database, batchSize: number) {
  const { db } = database;
  await sql`create table bench_counter (type text primary key, n bigint not null)`.execute(db);
  await sql`create table bench_counter_checkpoint (id integer primary key, position bigint not null)`.execute(
    db,
  );
  // Rows as arrays straight from the driver, as the store bench's plain read-all limit reads them.
  const text = 'select position, event from es_events where position > $1 order by position limit $2';
  const page = async (after: string): Promise<unknown[][]> =>
    database.kind === 'postgres'
      ? (
          await database.pool.query<unknown[]>({
            name: 'counter-page',
            text,
            values: [after, batchSize],
            rowMode: 'array',
          })
        ).rows
      : (await database.pglite.query<unknown[]>(text, [after, batchSize], { rowMode: 'array' })).rows;
  const started = performance.now();
  let events = 0;
  let next = page('0');
  for (;;) {
    const rows = await next;
    if (rows.length === 0) break;
    const last = String(rows.at(-1)![0]);
    next = page(last);
    const counts = new Map<string, number>();
    for (const row of rows) {
      const { type } = JSON.parse(row[1] as string) as { type: string };
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    events += rows.length;
    await db.transaction().execute(async (tx) => {
      await sql`insert into bench_counter (type, n)
        select * from unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::bigint[])
        on conflict (type) do update set n = bench_counter.n + excluded.n`.execute(tx);
      await sql`insert into bench_counter_checkpoint (id, position) values (1, ${last}::bigint)
        on conflict (id) do update set position = excluded.position`.execute(tx);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await sql<{ n: string }>`select sum(n)::text as n from bench_counter`.execute(db);
  if (Number(rows[0]?.n) !== events) throw new Error(`the counter counted ${rows[0]?.n} of ${events} events`);
  await sql`drop table bench_counter, bench_counter_checkpoint`.execute(db);
  return { events, seconds };
}

/**
 * Appends a synthetic log of `events` events to a fresh test database (the server when
 * DATABASE_URL is set, times the trivial counter over it (the limit), rebuilds the read models
 * from zero and reports the rate, then lets a live projector catch up from zero. Run:
 * `npx tsx packages/read-models/src/bench/bench-rebuild.ts [events] [rebuild batch] [projector batch]`.
 */
export async function benchRebuild(options: {
  events: number;
  batchSize?: number;
  projectorBatchSize?: number;
}) {
  const database = await openTestDatabase();
  const store = await createPostgresEventStore(database);
  const logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'warn' });
  try {
    const appendStarted = performance.now();
    const appended = await appendSyntheticLog(store, options.events);
    const appendSeconds = (performance.now() - appendStarted) / 1000;
    const counter = await trivialCounter(database, options.batchSize ?? 5000);
    const result = await rebuildReadModels({
      store,
      database,
      logger,
      batchSize: options.batchSize ?? 5000,
      dropDelayMs: 0,
    });
    const rebuilt = await snapshot(database);
    // The live projector catching up from zero, batch by batch through the subscription.
    await dropAllReadModels(database);
    // In batches of the projector's own default unless told otherwise: what the service does.
    const projector = createProjector({
      store,
      database,
      logger,
      ...(options.projectorBatchSize ? { batchSize: options.projectorBatchSize } : {}),
    });
    const catchUpStarted = performance.now();
    await projector.start();
    await projector.waitFor(await store.headPosition(), 600_000);
    const catchUpSeconds = (performance.now() - catchUpStarted) / 1000;
    await projector.stop();
    const live = await snapshot(database);
    const total = (await getServiceInstances(await readModelsFor(database), {})).total;
    return {
      backend: database.kind,
      appended,
      appendSeconds: Number(appendSeconds.toFixed(2)),
      rebuiltEvents: result.events,
      rebuildSeconds: Number(result.seconds.toFixed(2)),
      eventsPerSecond: Math.round(result.events / result.seconds),
      counterEventsPerSecond: Math.round(counter.events / counter.seconds),
      catchUpSeconds: Number(catchUpSeconds.toFixed(2)),
      catchUpEventsPerSecond: Math.round(appended / catchUpSeconds),
      serviceInstances: total,
      // The rebuild's bulk path and the live projector must agree row for row.
      sameRows: TABLES.every((table) => rebuilt[table] === live[table]),
    };
  } finally {
    await store.close();
    const pointer = await readPointer(database);
    if (pointer) await sql.raw(`drop schema if exists ${pointer.schema} cascade`).execute(database.db);
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 50_000);
  const batchSize = process.argv[3] ? Number(process.argv[3]) : undefined;
  const projectorBatchSize = process.argv[4] ? Number(process.argv[4]) : undefined;
  benchRebuild({
    events,
    ...(batchSize ? { batchSize } : {}),
    ...(projectorBatchSize ? { projectorBatchSize } : {}),
  }).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
