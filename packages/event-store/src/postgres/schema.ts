import type { SqlClient } from './sql-client';

/** The character between the canonical texts of a group's events in one parameter (see `statements`). */
export const EVENT_SEPARATOR = '\u001e';
const EVENT_SEPARATOR_SQL = "E'\\x1e'";

/** Schema-qualified names; the schema name was validated by openDatabase (lower-case identifier). */
export function names(schema: string) {
  const s = `"${schema}"`;
  return {
    events: `${s}.es_events`,
    migrations: `${s}.es_migrations`,
    append: `${s}.es_append`,
    refuse: `${s}.es_refuse_change`,
    // NOTIFY channels are identifiers: at most 63 bytes.
    channel: `es_events_${schema}`.slice(0, 63),
  };
}

/** The store's statements on `schema`; PGlite differs only in how it notifies. */
export function statements(schema: string, kind: 'postgres' | 'pglite') {
  const n = names(schema);
  const { events } = n;
  // Every transaction below the snapshot's xmin has ended, and no new one can take a
  // smaller xid: nothing can ever commit behind a position a reader has passed.
  const visible = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)`;
  const insertInto = `insert into ${events} as e
        (position, stream_id, version, event_id, type, source_system, source_record_id, hash, event)`;
  // A page of the log after $1, at most $2 rows, of those columns: see readAll.
  const logPage = (columns: string) => `select * from (select ${columns} from ${events}
      where position > $1 order by position limit $2) p
      where position < ${visible} order by position`;
  // The events' canonical texts travel as one text, each after the other, parted by U+001E: JSON
  // escapes every control character in a string, so the separator never occurs inside one.
  const texts = (parameter: string) => `string_to_array(${parameter}::text, ${EVENT_SEPARATOR_SQL})`;
  return {
    append: `select * from ${n.append}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    // Appends whose base is known (AppendCall.plain): the keys refuse a taken version, a
    // known event id or source record, and a refused group goes through es_append (send).
    // The k-th event of the arrays goes in at (xid << 20) + k with version as given, so the
    // answer is one row, the first position and the count (insertVerdicts): returning each
    // row's version and position made the server send, and the client parse, a row per event.
    insert: `with inserted as (${insertInto}
      select (pg_current_xact_id()::text::bigint << 20) + u.ord - 1, u.stream, u.version,
             u.id, u.type, u.sys, u.rid, u.hash, u.ev
        from unnest($1::text[], $2::integer[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                    ${texts('$8')})
             with ordinality as u (stream, version, id, type, sys, rid, hash, ev, ord)
      returning e.position)
      select min(position), count(*)::integer from inserted`,
    // The same for one event, the commonest append: without the arrays the server runs it in a
    // sixth less time (4,130 -> 4,500-4,800 inserts/s on one connection). Same answer as `insert`.
    insertOne: `${insertInto}
      values (pg_current_xact_id()::text::bigint << 20, $1::text, $2::integer, $3::uuid, $4::text,
              $5::text, $6::text, $7::text, $8::text)
      returning e.position, 1`,
    readStream: `select position, hash, event from ${events}
      where stream_id = $1 and version >= $2 and version <= $3 order by version limit $4`,
    // The visibility bound is applied to the page, not in the scan: the planner cannot estimate
    // `position < (xmin << 20)`, and with both bounds in the scan (and no statistics yet, as
    // after a bulk load, or with autovacuum off) it expected fewer rows than the limit, so the
    // custom plans a statement gets for its first five runs on a connection read and sorted
    // the whole rest of the log (0.6-1.2 s a page at 300,000 events, spilling 165 MB to disk)
    // instead of walking the key. The rows of a page below the bound are still a prefix of it.
    readAll: logPage('position, hash, event'),
    // The same page with the columns a stream read goes by, to compare with the stored texts.
    readAllChecked: logPage('position, hash, event, stream_id, version'),
    head: `select coalesce(max(position), 0) from ${events} where position < ${visible}`,
    // Some row past $1 that the snapshot still hides: true exactly when the last row is one.
    // Asked as an `exists`, the planner expected an early hit and scanned the whole log
    // (1 s at 1.5M events, at every idle poll of every caught-up subscriber).
    heldBack: `select coalesce((select max(position) from ${events}) >= greatest($1::bigint + 1, ${visible}), false)`,
    streamVersion: `select coalesce(max(version), 0) from ${events} where stream_id = $1`,
    // Events of retried appends, by id or source record, each with the last version its own
    // append wrote (that transaction's positions share the xid in the high bits): what the
    // original append answered. One statement for the retries waiting together (LookupBatch).
    lookup: `with found as (
        select event, version, position, source_system, source_record_id, stream_id, event_id
          from ${events} where event_id = any ($1::uuid[])
        union
        select e.event, e.version, e.position, e.source_system, e.source_record_id, e.stream_id, e.event_id
          from ${events} e
          join unnest($2::text[], $3::text[]) s (sys, rid) on e.source_system = s.sys and e.source_record_id = s.rid)
      select f.event, f.version, f.position, f.source_system, f.source_record_id,
             (select max(x.version) from ${events} x
               where x.stream_id = f.stream_id and x.position >= (f.position >> 20) << 20
                 and x.position < ((f.position >> 20) << 20) + (1 << 20)),
             f.event_id::text
        from found f`,
    // NOTIFY takes a transaction id, so its commit would wait for a WAL flush like an append's.
    // A lost wake-up costs a subscriber one poll interval, so on a server it commits without
    // waiting (one round trip, simple protocol). PGlite has no flush to skip, nor multi-statement queries.
    notify:
      kind === 'postgres'
        ? `begin; set local synchronous_commit = off; notify "${n.channel}"; commit`
        : `select pg_notify('${n.channel}', '')`,
    // Bounded like readAll, for the same reason (and the upper bound too: without statistics, a
    // range in the scan is taken for 0.5% of the table).
    digestPage: `select * from (select position, hash from ${events}
      where position > $1 order by position limit $3) p
      where position <= $2 and position < ${visible} order by position`,
  };
}

/**
 * Each migration runs once per schema, in order, inside one transaction holding an
 * advisory lock, so two processes starting together cannot race on DDL.
 */
const MIGRATIONS: Array<{ id: number; statements: (n: ReturnType<typeof names>) => string[] }> = [
  {
    id: 1,
    statements: (n) => [
      // "C" collation: keys compare as bytes, far cheaper than a libc locale in every index probe.
      // `event` is the RFC 8785 text the hash covers, stored verbatim (json here; text since
      // migration 3): a read is one JSON.parse per row. The other columns are lookup keys.
      // position = (xid << 20) | index in the append: see docs/adr/0001-global-order-and-hash-chain.md.
      `create table ${n.events} (
        position bigint not null,
        stream_id text collate "C" not null,
        version integer not null,
        event_id uuid not null,
        type text not null,
        source_system text collate "C",
        source_record_id text collate "C",
        hash text not null,
        event json not null,
        constraint es_events_pkey primary key (position),
        constraint es_events_stream_version_key unique (stream_id, version),
        constraint es_events_event_id_key unique (event_id),
        constraint es_events_version_check check (version >= 1),
        constraint es_events_source_check check ((source_system is null) = (source_record_id is null))
      )`,
      `create unique index es_events_source_key on ${n.events} (source_system, source_record_id)
        where source_system is not null`,
      `create function ${n.refuse}() returns trigger language plpgsql as $$
      begin
        raise exception 'the event log is append-only: % on %.% refused', tg_op, tg_table_schema, tg_table_name
          using errcode = 'P0001';
      end $$`,
      `create trigger es_events_no_update_delete before update or delete on ${n.events}
        for each row execute function ${n.refuse}()`,
      `create trigger es_events_no_truncate before truncate on ${n.events}
        for each statement execute function ${n.refuse}()`,
    ],
  },
  {
    id: 2,
    // es_append takes the events' JSON as one JSON array instead of a text[] (see ROUTINES).
    statements: (n) => [
      `drop function if exists ${n.append}(text[], integer[], integer[], text[], integer[], uuid[], text[], text[], text[], text[], text[])`,
    ],
  },
  {
    id: 3,
    // `event` becomes text. The store writes only canonical JSON it made itself, and a json column
    // ran the server's JSON parser over every event on the way in: a 100-event append's statement
    // went from 54-57k to 63-74k rows/s without it. The texts are the same bytes; a table that
    // already holds events is rewritten once, here, under the migration lock. es_append takes
    // the texts parted by U+001E, like the plain insert, instead of a JSON array.
    statements: (n) => [
      `alter table ${n.events} alter column event type text`,
      `drop function if exists ${n.append}(text[], integer[], integer[], text[], integer[], uuid[], text[], text[], text[], text[], json)`,
    ],
  },
];

/**
 * Functions are code, not data: each start (re)defines them with `create or replace`, under
 * the migration lock, after the migrations, so there is one definition of each.
 */
const ROUTINES: Array<(n: ReturnType<typeof names>) => string> = [
  (n) =>
    // One round trip for one append — or for several appends to different streams that
    // were waiting at the same moment (the store groups them, see append-group.ts). Per
    // append j: p_streams[j], p_expected[j] (>= 0 exact version, -1 any, -2 stream exists),
    // p_base_*[j] (the head the caller hashed against: when it is not the real head the
    // answer is 'stale' with the real one, and the caller re-hashes), and p_counts[j]
    // events, laid end to end in the event arrays. p_events holds their canonical texts parted
    // by U+001E: the client joins texts it already has instead of escaping each into a text[],
    // and the server splits them without parsing them (see `statements`). A writer
    // that inserts the same version first makes ours fail on the unique key, and the whole
    // call with it.
    `create or replace function ${n.append}(
          p_streams text[], p_expected integer[], p_base_versions integer[], p_base_hashes text[], p_counts integer[],
          p_ids uuid[], p_types text[], p_source_systems text[], p_source_ids text[],
          p_hashes text[], p_events text
        ) returns table (r_append integer, r_kind text, r_version integer, r_position bigint, r_hash text)
        language plpgsql as $$
        declare
          v_head integer;
          v_head_hash text;
          v_tx bigint;
          v_next bigint := 0;
          v_from integer := 1;
          v_to integer;
          v_expected integer;
          v_events text[] := string_to_array(p_events, ${EVENT_SEPARATOR_SQL});
        begin
          for j in 1 .. coalesce(array_length(p_streams, 1), 0) loop
            v_to := v_from + p_counts[j] - 1;
            v_expected := p_expected[j];
            select e.version, e.hash into v_head, v_head_hash
              from ${n.events} e where e.stream_id = p_streams[j] order by e.version desc limit 1;
            if not found then
              v_head := 0;
              v_head_hash := repeat('0', 64);
            end if;
            if (v_expected >= 0 and v_head <> v_expected) or (v_expected = -2 and v_head = 0) then
              -- A retry of an append that went through must be answered as a duplicate, not a conflict.
              if exists (select 1 from ${n.events} e where e.event_id = any (p_ids[v_from:v_to]))
                 or exists (select 1 from ${n.events} e
                              join unnest(p_source_systems[v_from:v_to], p_source_ids[v_from:v_to]) s (sys, rid)
                                on e.source_system = s.sys and e.source_record_id = s.rid) then
                return query select j, 'existing'::text, v_head, null::bigint, v_head_hash;
              else
                return query select j, 'wrong_version'::text, v_head, null::bigint, v_head_hash;
              end if;
            elsif p_base_versions[j] is distinct from v_head or p_base_hashes[j] is distinct from v_head_hash then
              return query select j, 'stale'::text, v_head, null::bigint, v_head_hash;
            else
              v_tx := coalesce(v_tx, pg_current_xact_id()::text::bigint << 20);
              return query
                with inserted as (
                  insert into ${n.events} as e
                    (position, stream_id, version, event_id, type, source_system, source_record_id, hash, event)
                  select v_tx + v_next + u.ord - 1, p_streams[j], v_head + u.ord::integer,
                         u.id, u.type, u.sys, u.rid, u.hash, u.ev
                    from unnest(p_ids[v_from:v_to], p_types[v_from:v_to], p_source_systems[v_from:v_to],
                                p_source_ids[v_from:v_to], p_hashes[v_from:v_to],
                                v_events[v_from:v_to])
                         with ordinality as u (id, type, sys, rid, hash, ev, ord)
                  returning e.version, e.position
                )
                select j, 'ok'::text, i.version, i.position, null::text from inserted i;
              v_next := v_next + p_counts[j];
            end if;
            v_from := v_to + 1;
          end loop;
        end $$`,
];

export async function migrate(sql: SqlClient, schema: string): Promise<void> {
  const n = names(schema);
  await sql.transaction(async (query) => {
    await query('select pg_advisory_xact_lock(hashtext($1))', [`fengcheng.event-store:${schema}`]);
    await query(
      `create table if not exists ${n.migrations} (id integer primary key, applied_at timestamptz not null default now())`,
    );
    const applied = new Set((await query(`select id from ${n.migrations}`)).map((row) => Number(row[0])));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      for (const statement of migration.statements(n)) await query(statement);
      await query(`insert into ${n.migrations} (id) values ($1)`, [migration.id]);
    }
    for (const routine of ROUTINES) await query(routine(n));
  });
}
