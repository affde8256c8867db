import type { EventStore } from '@fengcheng/event-store';
import type { Database } from '@fengcheng/platform';

/** Events in the global log, counted by reading it page by page (not from a counter the store keeps). */
export async function countEvents(store: EventStore): Promise<number> {
  let count = 0;
  let after = 0n;
  for (;;) {
    const page = await store.readAll({ after, limit: 5000 });
    count += page.length;
    const last = page.at(-1);
    if (!last || page.length < 5000) return count;
    after = last.position;
  }
}

/** What an observer of the ledger sees: the head position and the number of events. */
export async function ledgerSize(store: EventStore): Promise<{ head: bigint; events: number }> {
  return { head: await store.headPosition(), events: await countEvents(store) };
}

/** One query on either kind of database, without a query builder. */
async function query<R>(database: Database, text: string, params: unknown[] = []): Promise<R[]> {
  const result =
    database.kind === 'postgres'
      ? await database.pool.query(text, params)
      : await database.pglite.query(text, params);
  return result.rows as R[];
}

/** Statements on either kind of database, several at once, without parameters (fault injection). */
export async function execSql(database: Database, text: string): Promise<void> {
  if (database.kind === 'postgres') await database.pool.query(text);
  else await database.pglite.exec(text);
}

/**
 * Every row of every table this server's database holds, as text (`row::text`): on PGlite every
 * schema but the catalogues; on a shared server the test's schema and its read-model generations.
 */
export async function dumpDatabase(database: Database): Promise<Map<string, string[]>> {
  const tables = await query<{ schema: string; name: string }>(
    database,
    `select table_schema as schema, table_name as name from information_schema.tables
     where table_type = 'BASE TABLE'
       and table_schema not in ('pg_catalog', 'information_schema')
       and table_schema not like 'pg\\_%'
       and ($1::boolean or table_schema = $2 or table_schema like $3)
     order by 1, 2`,
    [database.kind === 'pglite', database.schema, `${database.schema}\\_rm\\_%`],
  );
  const dump = new Map<string, string[]>();
  for (const { schema, name } of tables) {
    const rows = await query<{ row: string }>(database, `select t::text as row from "${schema}"."${name}" t`);
    dump.set(
      `${schema}.${name}`,
      rows.map((r) => r.row),
    );
  }
  return dump;
}

/**
 * The ledger's size once `atLeast` (the position of the last write the test knows of) is
 * readable. On a server, readers see the log only below the oldest running transaction (the
 * projector's, another test's), so the head may briefly trail a committed append.
 */
export async function settledLedgerSize(
  store: EventStore,
  atLeast: bigint | string,
  timeoutMs = 15_000,
): Promise<{ head: bigint; events: number }> {
  const target = BigInt(atLeast);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const size = await ledgerSize(store);
    if (size.head >= target) return size;
    if (Date.now() > deadline) throw new Error(`the ledger head stayed at ${size.head}, below ${target}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
