import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { checkpointIfDue } from './pglite-checkpoints';
import { openTestDatabase, reachableBackends } from './test-database';

describe.each(reachableBackends())('database (embedded: $embedded)', ({ embedded }) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase({ forceEmbedded: embedded });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('returns int8 columns as bigint', async () => {
    const { rows } = await sql<{ n: bigint }>`select 9007199254740993::int8 as n`.execute(database.db);
    expect(rows[0]?.n).toBe(9007199254740993n);
  });

  it('keeps a transaction to itself while other queries wait their turn', async () => {
    await sql`create table t (v int)`.execute(database.db);
    const inside = database.db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sql`insert into t values (2)`.execute(trx);
      throw new Error('roll back');
    });
    const outside = sql<{ n: number }>`select count(*)::int as n from t`.execute(database.db);
    await expect(inside).rejects.toThrow('roll back');
    expect((await outside).rows[0]?.n).toBe(0);
  });

  it('lets no statement from outside into a transaction, however the two are interleaved', async () => {
    await sql`create table u (v int)`.execute(database.db);
    const rolledBack = () =>
      database.db.transaction().execute(async (trx) => {
        await sql`insert into u values (1)`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await sql`insert into u values (2)`.execute(trx);
        throw new Error('roll back');
      });
    const read = () =>
      sql<{ n: number }>`select count(*)::int as n from u`.execute(database.db).then((r) => r.rows[0]?.n);
    // One transaction holds the database while the rest queue up behind it, transactions and
    // plain reads alternating; once it is over they all go for it at once. A read sent after a
    // BEGIN it did not wait for counts that transaction's rows; two transactions let in
    // together end in each other's COMMIT or ROLLBACK, and the one left over writes for good.
    const first = rolledBack();
    await new Promise((resolve) => setTimeout(resolve, 1));
    const rest = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? rolledBack() : read()));
    const outcomes = await Promise.allSettled([first, ...rest]);
    const reads = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
    expect(reads).toEqual(Array(20).fill(0));
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(21);
    expect(await read()).toBe(0);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('database on a server', () => {
  it('closing ends the pool, also when only the pool itself was used', async () => {
    const database = await openDatabase({ url: process.env.DATABASE_URL });
    if (database.kind !== 'postgres') throw new Error('expected a server database');
    await database.pool.query('select 1');
    expect(database.pool.idleCount).toBe(1);
    await database.close();
    expect(database.pool.totalCount).toBe(0);
    expect((database.pool as unknown as { ended: boolean }).ended).toBe(true);
  });
});

describe.each([{ url: undefined }, ...(process.env.DATABASE_URL ? [{ url: process.env.DATABASE_URL }] : [])])(
  'database settings (server: $url)',
  ({ url }) => {
    it('applies its settings to every connection, and refuses what is not a plain name and value', async () => {
      const database = await openDatabase({ url, maxConnections: 2, settings: { random_page_cost: 1.1 } });
      try {
        const shown = await Promise.all(
          [1, 2, 3].map(() =>
            sql<{ v: string }>`select current_setting('random_page_cost') as v`.execute(database.db),
          ),
        );
        expect(shown.map(({ rows }) => rows[0]?.v)).toEqual(['1.1', '1.1', '1.1']);
      } finally {
        await database.close();
      }
      await expect(openDatabase({ url, settings: { 'work_mem; drop': '1' } })).rejects.toThrow(
        'invalid database setting',
      );
      await expect(openDatabase({ url, settings: { work_mem: "1'; select 1" } })).rejects.toThrow(
        'invalid database setting',
      );
    });
  },
);

describe('checkpoints of the embedded database', () => {
  const redo = async (db: Kysely<any>) =>
    (await sql<{ lsn: string }>`select (pg_control_checkpoint()).redo_lsn::text as lsn`.execute(db)).rows[0]
      ?.lsn;
  // About 2 MB of WAL.
  const write = (db: Kysely<any>) =>
    sql`insert into w select repeat('x', 1000) from generate_series(1, 2000)`.execute(db);

  it('checkpoints once enough WAL is written, or the last is old and anything was, and not otherwise', async () => {
    const database = await openDatabase({ checkpoints: false });
    try {
      const { db } = database;
      await sql`create table w (t text)`.execute(db);
      await sql`checkpoint`.execute(db);
      const start = await redo(db);
      expect(await checkpointIfDue(db, { maxWalBytes: 1024 * 1024 })).toBe(false);
      await write(db);
      expect(await checkpointIfDue(db, { maxWalBytes: 64 * 1024 * 1024 })).toBe(false);
      expect(await redo(db)).toBe(start);
      expect(await checkpointIfDue(db, { maxWalBytes: 1024 * 1024 })).toBe(true);
      const after = await redo(db);
      expect(after).not.toBe(start);
      // Old enough, but nothing written since: no checkpoint.
      expect(await checkpointIfDue(db, { timeoutMs: 0 })).toBe(false);
      await write(db);
      expect(await checkpointIfDue(db, { timeoutMs: 0 })).toBe(true);
      expect(await redo(db)).not.toBe(after);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('an open embedded database checkpoints on its own as it is written', async () => {
    const database = await openDatabase({ checkpoints: { intervalMs: 50, maxWalBytes: 1024 * 1024 } });
    try {
      const { db } = database;
      await sql`create table w (t text)`.execute(db);
      const start = await redo(db);
      await write(db);
      const deadline = Date.now() + 10_000;
      while ((await redo(db)) === start && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await redo(db)).not.toBe(start);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe('the embedded database in a thread of its own', () => {
  /** An embedded database, and what its onFailure listeners have heard. */
  const openWatched = async () => {
    const database = await openDatabase({ checkpoints: false });
    if (database.kind !== 'pglite') throw new Error('expected the embedded database');
    const failures: Error[] = [];
    database.pglite.onFailure((error) => failures.push(error));
    return { database, failures };
  };

  it('leaves the event loop free while a statement runs, and keeps errors as the database gave them', async () => {
    const { database, failures } = await openWatched();
    try {
      const { db } = database;
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        await sql`select pg_sleep(0.3)`.execute(db);
      } finally {
        clearInterval(timer);
      }
      // Run on this thread, the 300 ms in Postgres would have let no timer fire until they ended.
      expect(ticks).toBeGreaterThanOrEqual(10);

      await sql`create table k (id int primary key)`.execute(db);
      await sql`insert into k values (1)`.execute(db);
      const refused = await sql`insert into k values (1)`.execute(db).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      expect(refused).toMatchObject({ code: '23505', constraint: 'k_pkey', severity: 'ERROR' });
      // Bytes go in as bytes, and a result row comes back with its types.
      const { rows } = await sql<{ t: string; n: bigint; at: Date }>`
        select ${Buffer.from('字节')}::text as t, 9007199254740993::int8 as n,
               '2026-01-01T00:00:00Z'::timestamptz as at`.execute(db);
      expect(rows[0]).toEqual({ t: '字节', n: 9007199254740993n, at: new Date('2026-01-01T00:00:00Z') });
    } finally {
      await database.close();
    }
    await expect(sql`select 1`.execute(database.db)).rejects.toThrow();
    // Closing is not a failure.
    expect(failures).toEqual([]);
  }, 60_000);

  it('ends its thread once PGlite can go no further, tells its listeners once, and fails every statement after', async () => {
    const { database, failures } = await openWatched();
    try {
      // Unbounded recursion runs PGlite's error stack over: a PANIC, which on a server ends the
      // backend, and here leaves the one backend there is unusable.
      await database.pglite.exec(
        'create function f(n int) returns int language sql as $$ select f(n + 1) $$',
      );
      const outcomes = await Promise.allSettled(
        ['select f(1)', 'select 1'].map((statement) => sql.raw(statement).execute(database.db)),
      );
      expect(outcomes.map((outcome) => outcome.status)).toContain('rejected');
      await expect.poll(() => failures.length, { timeout: 10_000 }).toBe(1);
      expect(failures[0]?.message).toMatch(/thread exited/);
      await expect(sql`select 1`.execute(database.db)).rejects.toThrow(/thread exited/);
    } finally {
      await database.close();
    }
    expect(failures).toHaveLength(1);
  }, 60_000);
});
