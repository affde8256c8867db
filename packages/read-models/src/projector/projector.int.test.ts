import { randomUUID } from 'node:crypto';
import { createPostgresEventStore, type EventStore } from '@fengcheng/event-store';
import { createLogger, openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadModelSchema, dropReadModelSchema, READ_MODEL_VERSION } from '../migrations';
import { COLUMN_TYPES } from '../projections/columns';
import { getCaseSummary } from '../queries/case-summary.query';
import { getServiceInstances } from '../queries/service-instances.query';
import { CASE, caseLife } from '../test-support/case-life';
import { appendAll } from '../test-support/event-log';
import {
  dropAllReadModels,
  generationSchemaName,
  readCheckpoint,
  readModelsFor,
  readPointer,
} from './generation';
import { createProjector, type Projector } from './projector';
import { rebuildReadModels } from './rebuild';

/** Every table the projections write. */
const TABLES = Object.keys(COLUMN_TYPES);

async function snapshot(db: Kysely<any>, schema: string) {
  const tables: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const { rows } = await sql.raw(`select * from ${schema}.${table} t order by t::text`).execute(db);
    tables[table] = rows;
  }
  return tables;
}

/** A generation's index definitions (schema name left out) and how its tables persist. */
async function layout(db: Kysely<any>, schema: string) {
  const { rows: indexes } = await sql<{ def: string }>`
    select replace(indexdef, ${`${schema}.`}, '') as def from pg_indexes
    where schemaname = ${schema} order by 1`.execute(db);
  const { rows: tables } = await sql<{ persistence: string }>`
    select distinct c.relpersistence as persistence from pg_class c
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relkind = 'r'`.execute(
    db,
  );
  return { indexes: indexes.map((row) => row.def.replace(/_idx\d*\b|_pkey\b/g, '')), tables };
}

const visit = (visitId: string, occurredAt: string) => ({
  eventId: randomUUID(),
  type: 'VisitRecorded',
  occurredAt,
  data: { visitId, workerId: 'w1', mode: 'home', durationMinutes: 30, services: ['health'] },
});

describe.each(reachableBackends())('projector (embedded: $embedded)', ({ embedded }) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projector: Projector;
  const logger = createLogger({ name: 'projector-test', level: 'silent' });
  const { log } = caseLife();

  beforeAll(async () => {
    database = await openTestDatabase({ forceEmbedded: embedded });
    store = await createPostgresEventStore(database);
  });
  afterAll(async () => {
    await projector?.stop();
    await store.close();
    await dropAllReadModels(database);
    expect(await readPointer(database)).toBeNull();
    await database.drop();
  });

  it('follows the log from its checkpoint, committing each batch with it', async () => {
    const head = await appendAll(store, log.events);
    projector = createProjector({ store, database, logger, batchSize: 4 });
    await projector.start();
    expect(await projector.waitFor(head, 10_000)).toBe(true);
    expect(projector.position).toBe(head);
    expect(await readCheckpoint(database)).toBe(head);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(15);
  });

  it('rebuilds into a new generation while queries keep answering, with the same rows', async () => {
    const before = await readPointer(database);
    const rowsBefore = await snapshot(database.db, before!.schema);
    const indexesBefore = await layout(database.db, before!.schema);
    const during: Array<Promise<number>> = [];
    const queryDb = await readModelsFor(database);
    const result = await rebuildReadModels({
      store,
      database,
      logger,
      batchSize: 5,
      dropDelayMs: 0,
      onProgress: () => {
        during.push(getServiceInstances(queryDb, {}).then((r) => r.total));
      },
    });
    expect(result.events).toBe(log.events.length);
    expect(during.length).toBe(Math.ceil(log.events.length / 5));
    expect(await Promise.all(during)).toEqual(during.map(() => 15));

    const after = await readPointer(database);
    expect(after?.generation).toBe(before!.generation + 1);
    expect(await snapshot(database.db, after!.schema)).toEqual(rowsBefore);
    // The keys and indexes it deferred are all there, and every table is logged.
    expect(await layout(database.db, after!.schema)).toEqual(indexesBefore);
    const { rows } = await sql<{
      t: string | null;
    }>`select to_regclass(${`${before!.schema}.case_summary`})::text as t`.execute(database.db);
    expect(rows[0]?.t).toBeNull();
    // The same Kysely handles now read the new generation.
    expect((await getServiceInstances(queryDb, {})).total).toBe(15);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(15);
  });

  it('loses nothing appended while a rebuild runs beside the live projector', async () => {
    const appended: Array<Promise<bigint>> = [];
    await rebuildReadModels({
      store,
      database,
      logger,
      batchSize: 5,
      dropDelayMs: 0,
      onProgress: (done) => {
        if (done <= 5) {
          appended.push(
            store
              .append(`case-${CASE}`, [visit('v-during', '2026-03-11T09:30:00+08:00')])
              .then((r) => r.events[0]!.position),
          );
        }
      },
    });
    const position = await appended[0]!;
    expect(await projector.waitFor(position, 10_000)).toBe(true);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(16);
    const rebuiltAgain = await rebuildReadModels({ store, database, logger, dropDelayMs: 0 });
    expect(rebuiltAgain.events).toBe(log.events.length + 1);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(16);
  });

  it('carries on live in the new generation after the swap', async () => {
    const appended = await store.append(`case-${CASE}`, [visit('v-live', '2026-03-12T09:00:00+08:00')]);
    const position = appended.events[0]!.position;
    expect(await projector.waitFor(position, 10_000)).toBe(true);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(17);
    expect(await readCheckpoint(database)).toBe(position);
  });

  it('passes events that feed no read model and writes the checkpoint past them soon after, and at stop', async () => {
    const read = (i: number) => ({
      eventId: randomUUID(),
      type: 'CaseRecordRead',
      occurredAt: `2026-03-12T10:0${i}:00+08:00`,
      data: { caseId: CASE, purpose: 'review' },
    });
    let last = 0n;
    for (let i = 0; i < 3; i++) last = (await store.append(`audit-${CASE}`, [read(i)])).events[0]!.position;
    expect(await projector.waitFor(last, 10_000)).toBe(true);
    const deadline = Date.now() + 5_000;
    while ((await readCheckpoint(database)) < last && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await readCheckpoint(database)).toBe(last);
    // Held back (a minute), the checkpoint past them moves with the next batch that feeds one.
    await projector.stop();
    projector = createProjector({ store, database, logger, batchSize: 4, passedCheckpointMs: 60_000 });
    await projector.start();
    for (let i = 0; i < 2; i++) last = (await store.append(`audit-${CASE}`, [read(i)])).events[0]!.position;
    expect(await projector.waitFor(last, 10_000)).toBe(true);
    expect(await readCheckpoint(database)).toBeLessThan(last);
    const fed = await store.append(`case-${CASE}`, [visit('v-after-reads', '2026-03-12T11:00:00+08:00')]);
    expect(await projector.waitFor(fed.events[0]!.position, 10_000)).toBe(true);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(18);
    const pointer = await readPointer(database);
    const counted = async () =>
      Number(
        (
          await sql<{
            events: string;
          }>`select events::text from ${sql.raw(pointer!.schema)}.projection_checkpoint`.execute(database.db)
        ).rows[0]!.events,
      );
    const logLength = async () => (await store.readAll({ limit: 100_000 })).length;
    expect(await counted()).toBe(await logLength());
    // Passed just before a stop: the stop writes it.
    const lastRead = (await store.append(`audit-${CASE}`, [read(4)])).events[0]!.position;
    expect(await projector.waitFor(lastRead, 10_000)).toBe(true);
    await projector.stop();
    expect(await readCheckpoint(database)).toBe(lastRead);
    expect(await counted()).toBe(await logLength());
  });

  it('resumes after a stop from the checkpoint, counting nothing twice', async () => {
    await projector.stop();
    const appended = await store.append(`case-${CASE}`, [visit('v-after-stop', '2026-03-13T09:00:00+08:00')]);
    projector = createProjector({ store, database, logger, batchSize: 4 });
    await projector.start();
    expect(await projector.waitFor(appended.events[0]!.position, 10_000)).toBe(true);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(19);
    const events = await store.readStream(`case-${CASE}`);
    expect(await getCaseSummary(projector.readModels(), CASE)).toMatchObject({
      eventCount: events.length,
      chainHead: events.at(-1)?.hash,
      counts: { visits: 6 },
    });
  });

  it('notices, while idle, a generation swapped in elsewhere and fills it from its checkpoint', async () => {
    const head = await store.headPosition();
    const old = await readPointer(database);
    const schema = generationSchemaName(database.schema, old!.generation + 1);
    await createReadModelSchema(database.db, schema);
    await sql`update ${sql.raw(`${database.schema}.read_model_generation`)}
        set schema_name = ${schema}, generation = ${old!.generation + 1} where id = 1`.execute(database.db);
    const deadline = Date.now() + 10_000;
    while ((await readCheckpoint(database)) < head && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await readCheckpoint(database)).toBe(head);
    expect(projector.position).toBe(head);
    expect((await getServiceInstances(await readModelsFor(database), {})).total).toBe(19);
    await dropReadModelSchema(database.db, old!.schema);
  });

  it('answers false when a position is not reached in time', async () => {
    expect(await projector.waitFor(projector.position + 1_000_000n, 50)).toBe(false);
  });

  it('rebuilds at start when the stored layout is older than the code', async () => {
    await projector.stop();
    const before = await readPointer(database);
    await sql`update ${sql.raw(`${database.schema}.read_model_generation`)} set model_version = 0`.execute(
      database.db,
    );
    projector = createProjector({ store, database, logger });
    await projector.start();
    expect(await readPointer(database)).toEqual({
      schema: generationSchemaName(database.schema, before!.generation + 1),
      generation: before!.generation + 1,
      modelVersion: READ_MODEL_VERSION,
    });
    expect(projector.position).toBe(await store.headPosition());
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(19);
  });

  it('vacuums and analyses the tables it has changed enough, with or without autovacuum', async () => {
    await projector.stop();
    projector = createProjector({ store, database, logger, tendMs: 20 });
    await projector.start();
    const { schema } = (await readPointer(database))!;
    // Earlier tests may have analysed the table already: what counts is an analysis after these rows.
    const since = (await sql<{ now: Date }>`select now() as now`.execute(database.db)).rows[0]!.now;
    const stats = async () =>
      (
        await sql<{ analysed: boolean; changed: number }>`
            select coalesce(last_analyze >= ${since}, false) as analysed, n_mod_since_analyze::int as changed
            from pg_stat_user_tables where schemaname = ${schema} and relname = 'counted_entry'`.execute(
          database.db,
        )
      ).rows[0];
    const visits = Array.from({ length: 80 }, (_, i) =>
      visit(`v-many-${i}`, `2026-03-14T0${Math.floor(i / 10)}:${String(i % 10).padStart(2, '0')}:00+08:00`),
    );
    const appended = await store.append(`case-${CASE}`, visits);
    expect(await projector.waitFor(appended.events.at(-1)!.position, 10_000)).toBe(true);
    const deadline = Date.now() + 10_000;
    while (!(await stats())?.analysed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A tend may come between two of the projector's batches: what a later batch wrote stays
    // below the threshold (50 + 10% of the rows), which is what autovacuum would leave too.
    expect(await stats()).toEqual({ analysed: true, changed: expect.any(Number) });
    expect((await stats())!.changed).toBeLessThanOrEqual(50);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(99);
  });

  it('settles once quiet: vacuums every table its last batches changed, below the thresholds', async () => {
    await projector.stop();
    // Threshold rounds cannot vacuum three visits; the settle can, at most every tendMs.
    projector = createProjector({ store, database, logger, tendMs: 300, quietMs: 50 });
    await projector.start();
    const { schema } = (await readPointer(database))!;
    const since = (await sql<{ now: Date }>`select now() as now`.execute(database.db)).rows[0]!.now;
    const vacuumed = async () =>
      (
        await sql<{ vacuumed: boolean }>`
            select coalesce(last_vacuum >= ${since}, false) as vacuumed
            from pg_stat_user_tables where schemaname = ${schema} and relname = 'counted_entry'`.execute(
          database.db,
        )
      ).rows[0]!.vacuumed;
    // Three visits: far below autovacuum's thresholds (1,000 + 20% inserted).
    const appended = await store.append(`case-${CASE}`, [
      visit('v-settle-1', '2026-03-15T09:00:00+08:00'),
      visit('v-settle-2', '2026-03-15T10:00:00+08:00'),
      visit('v-settle-3', '2026-03-15T11:00:00+08:00'),
    ]);
    expect(await projector.waitFor(appended.events.at(-1)!.position, 10_000)).toBe(true);
    const deadline = Date.now() + 5_000;
    while (!(await vacuumed()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await vacuumed()).toBe(true);
    expect((await getServiceInstances(projector.readModels(), {})).total).toBe(102);
  });
});

describe('a projector that cannot project an event', () => {
  it('says since when, where and why it is failing, the same since while it retries there', async () => {
    const database = await openTestDatabase({ forceEmbedded: true });
    const store = await createPostgresEventStore(database);
    const logger = createLogger({ name: 'projector-test', level: 'silent' });
    // Past the ingest's checks, straight into the store: no read model can hold a NUL.
    await store.append('organisation-org-nul', [
      {
        eventId: randomUUID(),
        type: 'OrganisationRegistered',
        occurredAt: '2026-02-01T09:00:00+08:00',
        data: { organisationId: 'org-nul', name: 'a\u0000b', kind: 'hub', regionCode: '640104000000' },
      },
    ]);
    const projector = createProjector({ store, database, logger });
    try {
      expect(projector.failing).toBeNull();
      await projector.start();
      const started = Date.now();
      while (projector.failing === null && Date.now() - started < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const first = projector.failing;
      expect(first).toMatchObject({ position: '0' });
      expect(first?.error).toBeTruthy();
      // Retried a second later at the same position: still failing since the first time.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(projector.failing?.since).toBe(first?.since);
    } finally {
      await projector.stop();
      await store.close();
      await dropAllReadModels(database);
      await database.drop();
    }
  });
});
