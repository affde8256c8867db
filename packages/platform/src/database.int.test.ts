import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { checkpointIfDue } from './pglite-checkpoints';
import { openTestDatabase } from './test-database';

describe.each([{ embedded: true }, ...(process.env.DATABASE_URL ? [{ embedded: false }] : [])])(
  'database (embedded: $embedded)',
  ({ embedded }) => {
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
  },
);

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
