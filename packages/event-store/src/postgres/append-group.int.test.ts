import { openTestDatabase } from '@fengcheng/platform';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppendCall, appendParameters, insertParameters, insertVerdicts } from './append-group';
import { type SqlClient, sqlClientFor } from './sql-client';

/** Texts made of what a Postgres array literal treats specially, and a few characters beyond ASCII. */
const awkwardText = fc.string({
  // U+001E parts the events' texts in one parameter: JSON must escape it inside a string.
  unit: fc.constantFrom('a', 'N', 'U', 'L', '"', '\\', ',', '{', '}', ' ', '马', '😀', '\u001e'),
  maxLength: 8,
});

function callOf(columns: { ids: string[]; sources: Array<string | null> }, canonicals: string[]): AppendCall {
  return {
    streamId: 's',
    expected: -1,
    baseVersion: 0,
    baseHash: null,
    ids: columns.ids,
    types: columns.ids,
    sourceSystems: columns.sources,
    sourceIds: columns.sources,
    hashes: columns.ids,
    canonicals,
    plain: true,
  };
}

describe("es_append's parameters as the database reads them (Postgres at DATABASE_URL, else PGlite)", () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let sql: SqlClient;
  beforeAll(async () => {
    database = await openTestDatabase({ maxConnections: 2 });
    sql = sqlClientFor(database);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('reads back every text column and the events of all appends of a group, in order', async () => {
    const column = fc.array(fc.option(awkwardText, { nil: null }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(column, column), { minLength: 1, maxLength: 3 }), async (group) => {
        const calls = group.map(([sources, other]) =>
          callOf(
            { ids: other.map((value) => value ?? 'NULL'), sources },
            sources.map((value) => JSON.stringify({ value })),
          ),
        );
        const parameters = appendParameters(calls);
        const [row] = await sql.query(
          `select $1::text[] a, $2::text[] b, $3::text[] c, $4::text[] d, $5::text[] e,
                  string_to_array($6::text, E'\\x1e') f`,
          parameters.slice(5),
        );
        const ids = calls.flatMap((c) => c.ids);
        const sources = calls.flatMap((c) => c.sourceSystems);
        expect(row).toEqual([ids, ids, sources, sources, ids, calls.flatMap((c) => c.canonicals)]);
      }),
      { numRuns: 100 },
    );
  });

  it("reads back the plain insert's per-event streams, versions and columns, in order", async () => {
    const column = fc.array(fc.option(awkwardText, { nil: null }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(column, awkwardText, fc.nat(1_000)), { minLength: 1, maxLength: 3 }),
        async (group) => {
          const calls = group.map(([sources, streamId, baseVersion]) => ({
            ...callOf(
              { ids: sources.map((value) => value ?? 'NULL'), sources },
              sources.map((value) => JSON.stringify({ value })),
            ),
            streamId,
            baseVersion,
          }));
          const [row] = await sql.query(
            `select $1::text[] a, $2::integer[] b, $3::text[] c, $4::text[] d, $5::text[] e, $6::text[] f,
                    $7::text[] g, string_to_array($8::text, E'\\x1e') h`,
            insertParameters(calls),
          );
          const ids = calls.flatMap((c) => c.ids);
          expect(row).toEqual([
            calls.flatMap((c) => c.ids.map(() => c.streamId)),
            calls.flatMap((c) => c.ids.map((_, i) => c.baseVersion + i + 1)),
            ids,
            ids,
            calls.flatMap((c) => c.sourceSystems),
            calls.flatMap((c) => c.sourceIds),
            ids,
            calls.flatMap((c) => c.canonicals),
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers each event of the insert with its append, version and place after the first position', () => {
    const calls = [2, 1, 3].map((n, j) => ({
      ...callOf({ ids: Array.from({ length: n }, (_, i) => `e${i}`), sources: [] }, []),
      baseVersion: 10 * j,
    }));
    const first = 0x5a5an << 20n;
    expect(insertVerdicts(calls, [[String(first), 6]])).toEqual([
      [1, 'ok', 1, first, null],
      [1, 'ok', 2, first + 1n, null],
      [2, 'ok', 11, first + 2n, null],
      [3, 'ok', 21, first + 3n, null],
      [3, 'ok', 22, first + 4n, null],
      [3, 'ok', 23, first + 5n, null],
    ]);
    expect(() => insertVerdicts(calls, [[String(first), 5]])).toThrow(/5 of 6/);
    expect(() => insertVerdicts(calls, [])).toThrow(/nothing of 6/);
  });
});
