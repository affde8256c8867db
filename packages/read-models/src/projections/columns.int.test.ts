import { openTestDatabase } from '@fengcheng/platform';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { createReadModelSchema, dropReadModelSchema } from '../migrations';
import { COLUMN_TYPES } from './columns';

it('names every column of the written tables with the type the migration gives it', async () => {
  const database = await openTestDatabase({ forceEmbedded: true });
  try {
    await createReadModelSchema(database.db, 'rm_columns');
    const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'rm_columns' order by table_name, ordinal_position`.execute(database.db);
    const actual: Record<string, Record<string, string>> = {};
    for (const row of rows) {
      if (!(row.table_name in COLUMN_TYPES)) continue;
      actual[row.table_name] ??= {};
      actual[row.table_name]![row.column_name] = row.data_type;
    }
    expect(actual).toEqual(COLUMN_TYPES);
    await dropReadModelSchema(database.db, 'rm_columns');
  } finally {
    await database.drop();
  }
});
