import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRows } from './copy';
import { openTestDatabase, reachableBackends } from './test-database';

// Values COPY's text format has to escape or spell out, each next to what must come back.
const ROWS = [
  {
    id: 1,
    note: 'tab\there, newline\nthere, return\rand a backslash \\ and \\N',
    flag: true,
    at: '2026-11-28T08:00:00.000Z',
    big: 9007199254740993n,
    score: 2.5,
  },
  {
    id: 2,
    note: null,
    flag: false,
    at: new Date('2026-01-02T03:04:05.678Z'),
    big: undefined,
    score: Number.NaN,
  },
  { id: 3, note: '银川市 寸草心 \u{1F600}', flag: null, at: null, big: -1n, score: -0 },
  { id: 4, note: '\\.', flag: true, at: null, big: 0n, score: 1e21 },
];

describe.each(reachableBackends())('copyRows (embedded: $embedded)', ({ embedded }) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase({ forceEmbedded: embedded });
    await sql`create table copied (id int primary key, note text, flag boolean, at timestamptz, big bigint, score double precision)`.execute(
      database.db,
    );
  });
  afterAll(async () => {
    await database.drop();
  });

  it('writes every value as the server reads it back, inside the caller’s transaction', async () => {
    await database.db.transaction().execute(async (trx) => {
      await trx.executeQuery(copyRows('copied', ['id', 'note', 'flag', 'at', 'big', 'score'], ROWS));
    });
    const { rows } = await sql<Record<string, unknown>>`
        select id, note, flag, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as at, big::text as big, score
        from copied order by id`.execute(database.db);
    expect(rows).toEqual([
      {
        id: 1,
        note: ROWS[0]?.note,
        flag: true,
        at: '2026-11-28T08:00:00.000',
        big: '9007199254740993',
        score: 2.5,
      },
      { id: 2, note: null, flag: false, at: '2026-01-02T03:04:05.678', big: null, score: null },
      { id: 3, note: ROWS[2]?.note, flag: null, at: null, big: '-1', score: 0 },
      { id: 4, note: '\\.', flag: true, at: null, big: '0', score: 1e21 },
    ]);
  });

  it('leaves nothing behind when a row is refused, and the connection goes on', async () => {
    const refused = database.db.transaction().execute(async (trx) => {
      await trx.executeQuery(copyRows('copied', ['id', 'note'], [{ id: 10, note: 'kept?' }]));
      await trx.executeQuery(
        copyRows(
          'copied',
          ['id', 'note'],
          [
            { id: 11, note: 'fine' },
            { id: 1, note: 'taken' },
          ],
        ),
      );
    });
    await expect(refused).rejects.toThrow(/duplicate key/);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from copied where id >= 10`.execute(
      database.db,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses a table or column that is not a plain name', () => {
    expect(() => copyRows('copied; drop table copied', ['id'], [])).toThrow(/plain identifier/);
    expect(() => copyRows('copied', ['id)'], [])).toThrow(/plain identifier/);
  });
});
