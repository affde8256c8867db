import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadModelSchema, dropReadModelSchema, readyGenerationTables } from './migrations';

/** The SQL of every statement run through the returned plugin, in order. */
function recorder(): { plugin: KyselyPlugin; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    plugin: {
      transformQuery({ node }: { node: RootOperationNode }) {
        if (node.kind === 'RawNode') statements.push(node.sqlFragments.join('?'));
        return node;
      },
      transformResult: async ({ result }) => result,
    },
  };
}

describe.each(reachableBackends())('readying a rebuilt generation (embedded: $embedded)', ({ embedded }) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  const schema = 'ready_order_rm_1';

  beforeAll(async () => {
    database = await openTestDatabase({ forceEmbedded: embedded });
  });
  afterAll(async () => {
    await dropReadModelSchema(database.db, schema);
    await database.drop();
  });

  // A vacuum beside another table's index build marks no row all-visible: a statement that
  // began before the table's rows still runs.
  it('vacuums no table before every table is indexed, and analyses after the vacuums', async () => {
    await createReadModelSchema(database.db, schema, { deferIndexes: true });
    const { plugin, statements } = recorder();
    await readyGenerationTables(database.db.withPlugin(plugin), schema, { deferred: true });

    const kind = (statement: string) => statement.trim().split(/\s+/)[0]!.toLowerCase();
    const last = (k: string[]) => statements.findLastIndex((statement) => k.includes(kind(statement)));
    const first = (k: string) => statements.findIndex((statement) => kind(statement) === k);
    const vacuums = statements.filter((statement) => kind(statement) === 'vacuum');
    expect(vacuums.length).toBeGreaterThan(10);
    expect(statements.filter((statement) => kind(statement) === 'create').length).toBeGreaterThan(5);
    expect(first('vacuum')).toBeGreaterThan(last(['alter', 'create']));
    expect(first('analyze')).toBeGreaterThan(last(['vacuum']));
  });
});
