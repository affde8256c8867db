import { sql } from 'kysely';
import type { ReadModelTrx } from './batch';

// Postgres takes at most 65,535 parameters per statement.
const MAX_PARAMETERS = 60_000;

function chunked<T>(rows: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columns)));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/** Inserts rows, or adds their `sums` columns to the row already there. */
export async function upsertAdding(
  trx: ReadModelTrx,
  table: string,
  keys: readonly string[],
  sums: readonly string[],
  rows: ReadonlyArray<object>,
): Promise<void> {
  if (rows.length === 0) return;
  const set = Object.fromEntries(sums.map((c) => [c, sql.raw(`${table}.${c} + excluded.${c}`)]));
  for (const chunk of chunked([...rows], keys.length + sums.length)) {
    await trx
      .insertInto(table)
      .values(chunk)
      .onConflict((oc) => oc.columns([...keys]).doUpdateSet(set))
      .execute();
  }
}

/** Inserts rows, or replaces every other column of the row already there. */
export async function upsertReplacing(
  trx: ReadModelTrx,
  table: string,
  keys: readonly string[],
  rows: ReadonlyArray<object>,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const set = Object.fromEntries(
    columns.filter((c) => !keys.includes(c)).map((c) => [c, sql.raw(`excluded.${c}`)]),
  );
  for (const chunk of chunked([...rows], columns.length)) {
    await trx
      .insertInto(table)
      .values(chunk)
      .onConflict((oc) => oc.columns([...keys]).doUpdateSet(set))
      .execute();
  }
}

/** Inserts rows that may already be there (a replayed batch), leaving those untouched. */
export async function insertIgnoring(
  trx: ReadModelTrx,
  table: string,
  keys: readonly string[],
  rows: ReadonlyArray<object>,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  for (const chunk of chunked([...rows], Object.keys(first).length)) {
    await trx
      .insertInto(table)
      .values(chunk)
      .onConflict((oc) => oc.columns([...keys]).doNothing())
      .execute();
  }
}
