import { randomUUID } from 'node:crypto';
import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEventStoreContract, newEvent } from '../contract/event-store.contract';
import { WrongExpectedVersionError } from '../errors';
import { verifyChain } from '../hash-chain';
import type { EventStore } from '../port';
import { createPostgresEventStore } from './postgres-event-store';
import { statements } from './schema';
import { sqlClientFor } from './sql-client';

for (const backend of reachableBackends()) {
  describeEventStoreContract(
    `postgres on ${backend.name}`,
    async () => {
      const database = await openTestDatabase({ forceEmbedded: backend.embedded });
      const store = await createPostgresEventStore(database, { pollIntervalMs: 50 });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await database.drop();
        },
        reopen: () => createPostgresEventStore(database, { pollIntervalMs: 50 }),
        // The owner may switch its own trigger off; the point is that verification notices.
        tamper: async (streamId, version) => {
          await sql`alter table es_events disable trigger es_events_no_update_delete`.execute(database.db);
          await sql`update es_events set event = (jsonb_set(event::jsonb, '{data,durationMinutes}', '99'))::json
                    where stream_id = ${streamId} and version = ${version}`.execute(database.db);
          await sql`alter table es_events enable trigger es_events_no_update_delete`.execute(database.db);
        },
      };
    },
    { concurrentWriters: true },
  );

  describe(`postgres event store specifics on ${backend.name}`, () => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    let store: EventStore;

    beforeAll(async () => {
      database = await openTestDatabase({ forceEmbedded: backend.embedded });
      store = await createPostgresEventStore(database);
    });
    afterAll(async () => {
      await store.close();
      await database.drop();
    });

    it('reads and extends a log written while `event` was a json column (migration 3 turns it into text)', async () => {
      const old = await openTestDatabase({ forceEmbedded: backend.embedded });
      try {
        const before = await createPostgresEventStore(old);
        const streamId = `case-${randomUUID()}`;
        await before.append(streamId, [newEvent({ type: 'IntakeRecorded' }), newEvent()]);
        await before.close();
        // The table as migrations 1 and 2 left it, with es_append taking a JSON array.
        await sql`alter table es_events alter column event type json using event::json`.execute(old.db);
        await sql`delete from es_migrations where id = 3`.execute(old.db);
        const after = await createPostgresEventStore(old);
        const { rows } = await sql<{ type: string }>`
          select data_type as type from information_schema.columns
          where table_schema = ${old.schema} and table_name = 'es_events' and column_name = 'event'`.execute(
          old.db,
        );
        expect(rows).toEqual([{ type: 'text' }]);
        await after.append(streamId, [newEvent()], { expectedVersion: 2 });
        const events = await after.readStream(streamId);
        expect(events.map((e) => [e.version, e.type])).toEqual([
          [1, 'IntakeRecorded'],
          [2, 'VisitRecorded'],
          [3, 'VisitRecorded'],
        ]);
        expect((await after.verifyStream(streamId)).ok).toBe(true);
        await after.close();
      } finally {
        await old.drop();
      }
    }, 30_000); // a fresh database migrated twice: 2 s alone, past 5 s with a test suite beside it

    it('verifies a stream read from its stored texts as from its events, whatever form the JSON is stored in', async () => {
      const streamId = `case-${randomUUID()}`;
      await store.append(streamId, [newEvent({ type: 'IntakeRecorded' }), newEvent(), newEvent()]);
      const alter = async (version: number, to: 'jsonb' | 'altered') => {
        await sql`alter table es_events disable trigger es_events_no_update_delete`.execute(database.db);
        // jsonb writes the same members in its own key order, with spaces: same meaning, other bytes.
        await (to === 'jsonb'
          ? sql`update es_events set event = event::jsonb::text where stream_id = ${streamId} and version = ${version}`
          : sql`update es_events set event = (jsonb_set(event::jsonb, '{data,durationMinutes}', '99'))::text
                where stream_id = ${streamId} and version = ${version}`
        ).execute(database.db);
        await sql`alter table es_events enable trigger es_events_no_update_delete`.execute(database.db);
      };
      await alter(2, 'jsonb');
      let read = await store.readVerifiedStream(streamId);
      expect(read.verification).toMatchObject({ ok: true, events: 3 });
      expect(read.verification).toEqual(verifyChain(read.events, streamId));
      await alter(3, 'altered');
      read = await store.readVerifiedStream(streamId);
      expect(read.verification).toEqual({
        ok: false,
        streamId,
        events: 3,
        brokenAt: 3,
        reason: 'hash_mismatch',
      });
      expect(read.verification).toEqual(verifyChain(read.events, streamId));
    });

    /** Every statement sent to the database from now on, as text (pg pool or the PGlite dialect). */
    const spyOnStatements = () => {
      // On a server, what every client of the pool sends (the store checks clients out itself).
      const spy =
        database.kind === 'postgres'
          ? vi.spyOn(pg.Client.prototype, 'query')
          : vi.spyOn(database.db, 'executeQuery');
      return {
        sent: () =>
          spy.mock.calls.map(([query]) => {
            const q = query as unknown as { text?: string; sql?: string };
            return String(q.text ?? q.sql ?? query);
          }),
        clear: () => spy.mockClear(),
        restore: () => spy.mockRestore(),
      };
    };

    it('refuses UPDATE, DELETE and TRUNCATE on the events table', async () => {
      const streamId = `case-${randomUUID()}`;
      await store.append(streamId, [newEvent()]);
      await expect(sql`update es_events set type = 'Forged'`.execute(database.db)).rejects.toThrow(
        /append-only: UPDATE/,
      );
      await expect(sql`delete from es_events`.execute(database.db)).rejects.toThrow(/append-only: DELETE/);
      await expect(sql`truncate es_events`.execute(database.db)).rejects.toThrow(/append-only: TRUNCATE/);
      expect(await store.streamVersion(streamId)).toBe(1);
    });

    it('detects a forged row inserted behind the store', async () => {
      const streamId = `case-${randomUUID()}`;
      await store.append(streamId, [newEvent(), newEvent()]);
      const [second] = await store.readStream(streamId, { fromVersion: 2 });
      const forged = {
        ...second,
        eventId: crypto.randomUUID(),
        version: 3,
        prevHash: second?.hash,
        hash: undefined,
        position: undefined,
      };
      await sql`insert into es_events (position, stream_id, version, event_id, type, hash, event)
        values (${(second?.position ?? 0n) + 1n}, ${streamId}, 3, ${forged.eventId}, 'VisitRecorded', ${'f'.repeat(64)}, ${JSON.stringify(forged)})`.execute(
        database.db,
      );
      expect(await store.verifyStream(streamId)).toEqual({
        ok: false,
        streamId,
        events: 3,
        brokenAt: 3,
        reason: 'hash_mismatch',
      });
    });

    it('creates its tables once: opening a second store on the same schema migrates nothing twice', async () => {
      const applied = async () =>
        (await sql<{ id: number }>`select id from es_migrations order by id`.execute(database.db)).rows;
      const before = await applied();
      const again = await createPostgresEventStore(database);
      expect(before.length).toBeGreaterThan(0);
      expect(await applied()).toEqual(before);
      await again.close();
    });

    it('refuses an append chained on a head another store has moved since, and appends nothing of it', async () => {
      // This store's head cache says version 1; the key on (stream, version) must catch the move.
      const streamId = `case-${randomUUID()}`;
      await store.append(streamId, [newEvent()]);
      const other = await createPostgresEventStore(database);
      await other.append(streamId, [newEvent()], { expectedVersion: 1 });
      await other.close();
      const stale = newEvent();
      const outcomes = await Promise.allSettled([
        store.append(streamId, [stale, newEvent()], { expectedVersion: 1 }),
        store.append(`case-${crypto.randomUUID()}`, [newEvent()], { expectedVersion: 'no_stream' }),
      ]);
      expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { actual: 2 } });
      expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(outcomes[1]).toMatchObject({ status: 'fulfilled', value: { version: 1 } });
      const after = await store.append(streamId, [newEvent()], { expectedVersion: 'any' });
      expect(after.version).toBe(3);
      expect(await store.verifyStream(streamId)).toMatchObject({ ok: true, events: 3 });
      expect((await store.readStream(streamId)).map((e) => e.eventId)).not.toContain(stale.eventId);
    });

    it('appends to a stream another store keeps moving through es_append, with no insert the key refuses', async () => {
      // Two query APIs recording reads of one case in its audit stream, say: each one's cached head
      // is stale at each append. The first conflict costs a refused insert; after it, es_append
      // checks the cached head and answers the real one, and one insert follows.
      const streamId = `audit-${randomUUID()}`;
      const other = await createPostgresEventStore(database);
      const spy = spyOnStatements();
      try {
        const append = (i: number) => (i % 2 === 0 ? store : other).append(streamId, [newEvent()]);
        for (let i = 0; i < 4; i++) await append(i);
        spy.clear();
        for (let i = 4; i < 10; i++) expect((await append(i)).version).toBe(i + 1);
        const sent = spy.sent().filter((text) => /es_append|insert into/.test(text));
        expect(sent.filter((text) => /es_append/.test(text))).toHaveLength(6);
        expect(sent.filter((text) => /^insert into/.test(text))).toHaveLength(6);
        // A store that finds its cached head right again goes back to plain inserts.
        await store.readStream(streamId);
        await store.append(streamId, [newEvent()]);
        spy.clear();
        await store.append(streamId, [newEvent()]);
        expect(spy.sent().filter((text) => /es_append|insert into/.test(text))).toEqual([
          expect.stringMatching(/^insert into/),
        ]);
        expect(await store.verifyStream(streamId)).toMatchObject({ ok: true, events: 12 });
      } finally {
        spy.restore();
        await other.close();
      }
    });

    it.skipIf(backend.embedded)(
      'keeps its connections through refused inserts: retries and stale expectations close none',
      async () => {
        if (database.kind !== 'postgres') throw new Error('expected a server');
        const streamId = `case-${randomUUID()}`;
        const events = [newEvent(), newEvent()];
        await store.append(streamId, events);
        let closed = 0;
        const counted = () => closed++;
        database.pool.on('remove', counted);
        try {
          for (let i = 0; i < 5; i++) {
            // Refused by the event-id key, then looked up: the first result again.
            expect((await store.append(streamId, events, { expectedVersion: 'any' })).duplicate).toBe(true);
            await expect(
              store.append(streamId, [newEvent()], { expectedVersion: 'no_stream' }),
            ).rejects.toThrow(WrongExpectedVersionError);
          }
          // The pool tells of a closed connection once it has ended.
          await new Promise((resolve) => setTimeout(resolve, 100));
        } finally {
          database.pool.off('remove', counted);
        }
        // pool.query closed the connection after every refused statement (the next one opened another).
        expect(closed).toBe(0);
      },
    );

    it.skipIf(backend.embedded)(
      'closes a connection only after an error that is not about the data of its statement',
      async () => {
        if (database.kind !== 'postgres') throw new Error('expected a server');
        const client = sqlClientFor(database);
        let closed = 0;
        const counted = () => closed++;
        database.pool.on('remove', counted);
        try {
          // A data exception (22012): the connection is as good as before.
          await expect(client.query('select 1 / 0')).rejects.toMatchObject({ code: '22012' });
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(closed).toBe(0);
          // Anything else (here an undefined table, 42P01; in life a prepared plan whose result
          // type a migration changed, 0A000) may stay wrong on that connection: it goes.
          await expect(client.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
          // The pool says so once the connection has ended.
          await expect.poll(() => closed).toBe(1);
        } finally {
          database.pool.off('remove', counted);
        }
      },
    );

    it('answers many retries at once with a few lookups, each retry its own first result', async () => {
      const appends = Array.from({ length: 20 }, () => ({
        streamId: `worker-${randomUUID()}`,
        event: newEvent(),
      }));
      const first = await Promise.all(appends.map(({ streamId, event }) => store.append(streamId, [event])));
      const cold = await createPostgresEventStore(database);
      const spy = spyOnStatements();
      try {
        // A replayed dataset: every registration (a stream each) sent again, all at once.
        const again = await Promise.all(
          appends.map(({ streamId, event }) =>
            cold.append(streamId, [event], { expectedVersion: 'no_stream' }),
          ),
        );
        expect(again).toEqual(first.map((result) => ({ ...result, duplicate: true })));
        const lookups = spy.sent().filter((text) => /^with found as/.test(text.trim()));
        expect(lookups.length).toBeGreaterThan(0);
        expect(lookups.length).toBeLessThan(appends.length / 2);
      } finally {
        spy.restore();
        await cold.close();
      }
    });

    it("chains a decider's append on the head its stream read saw: one insert, no head lookup", async () => {
      const streamId = `case-${randomUUID()}`;
      await store.append(streamId, [newEvent(), newEvent()]);
      const cold = await createPostgresEventStore(database);
      const spy = spyOnStatements();
      try {
        const read = await cold.readStream(streamId);
        spy.clear();
        const result = await cold.append(streamId, [newEvent()], { expectedVersion: read.length });
        expect(result.version).toBe(3);
        const appends = spy.sent().filter((text) => /es_append|insert into/.test(text));
        expect(appends).toHaveLength(1);
        expect(appends[0]).toMatch(/^insert into/);
        // One event alone in its group: the one-row form, without arrays.
        expect(appends[0]).toMatch(/\bvalues \(/);
        expect(await cold.verifyStream(streamId)).toMatchObject({ ok: true, events: 3 });
        // A read that stopped short of the head teaches nothing: the append learns the head first.
        await cold.readStream(streamId, { toVersion: 1 });
        await store.append(streamId, [newEvent()], { expectedVersion: 3 });
        await cold.readStream(streamId, { limit: 2 });
        spy.clear();
        expect((await cold.append(streamId, [newEvent()], { expectedVersion: 4 })).version).toBe(5);
        expect(spy.sent().filter((text) => /es_append/.test(text))).toHaveLength(1);
      } finally {
        spy.restore();
        await cold.close();
      }
    });

    it('sends a group that a key refused through es_append once, not each of its appends again', async () => {
      const existing = `case-${crypto.randomUUID()}`;
      await store.append(existing, [newEvent()]);
      const cold = await createPostgresEventStore(database);
      const spy = spyOnStatements();
      try {
        const fresh = Array.from({ length: 5 }, () => `case-${crypto.randomUUID()}`);
        // Submitted together: the first two go alone, the rest travel as one group,
        // the stale 'no_stream' of a stream this store has never seen last among them.
        const outcomes = await Promise.allSettled([
          ...fresh.map((id) => cold.append(id, [newEvent()], { expectedVersion: 'no_stream' })),
          cold.append(existing, [newEvent()], { expectedVersion: 'no_stream' }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected']);
        expect((outcomes[5] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        const appends = spy.sent().filter((text) => /es_append|insert into/.test(text));
        // Alone: 2 inserts; the group: 1 refused insert, 1 es_append.
        expect(appends.length).toBe(4);
        expect(appends.filter((text) => /es_append/.test(text))).toHaveLength(1);
        expect(await store.streamVersion(existing)).toBe(1);
      } finally {
        spy.restore();
        await cold.close();
      }
    });

    it('walks the key for every read of the log, from the start or caught up, with no statistics', async () => {
      const writer = await createPostgresEventStore(database);
      for (let i = 0; i < 20; i++) {
        await writer.append(
          `case-${crypto.randomUUID()}`,
          Array.from({ length: 100 }, () => newEvent()),
        );
      }
      await writer.close();
      // Not analysed: autovacuum may be off (this machine's server) or absent (PGlite).
      const head = await store.headPosition();
      const sqlOf = statements(database.schema, database.kind);
      // A catch-up's first pages and a ledger digest's, then what an idle poll runs: the read
      // past the checkpoint and the held-back check. Each is planned with its values, as a
      // prepared statement's first five runs are: no sort of the rest of the log for one page.
      for (const [text, parameters] of [
        [sqlOf.readAll, [0, 500]],
        [sqlOf.digestPage, [0, head, 500]],
        [sqlOf.readAll, [head, 500]],
        [sqlOf.heldBack, [head]],
        [sqlOf.head, []],
      ] as const) {
        const plan = JSON.stringify(
          (
            await sql<{ plan: unknown }>`explain (format json) ${sql.raw(
              text.replace(/\$(\d)/g, (_, i) => `'${String(parameters[Number(i) - 1])}'`),
            )}`.execute(database.db)
          ).rows,
        );
        expect(plan).not.toContain('Seq Scan');
        expect(plan).not.toContain('Sort');
        expect(plan).toContain('es_events_pkey');
      }
    });

    it('derives each position from the appending transaction id, index in the low 20 bits', async () => {
      const result = await store.append(`case-${crypto.randomUUID()}`, [newEvent(), newEvent(), newEvent()]);
      const positions = result.events.map((e) => e.position);
      const tx = (positions[0] as bigint) >> 20n;
      expect(positions).toEqual([tx << 20n, (tx << 20n) + 1n, (tx << 20n) + 2n]);
    });

    it('wakes a subscriber of another store by NOTIFY, long before its poll interval', async () => {
      const listening = await createPostgresEventStore(database, { pollIntervalMs: 60_000 });
      const writing = await createPostgresEventStore(database);
      try {
        const marker = await writing.append(`case-${crypto.randomUUID()}`, [newEvent()]);
        const seen: string[] = [];
        const subscription = listening.subscribe({
          after: marker.events[0]?.position as bigint,
          handle: async (events) => {
            seen.push(...events.map((e) => e.eventId));
          },
        });
        // Let it catch up and go to sleep on its 60 s poll.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const event = newEvent();
        const result = await writing.append(`case-${crypto.randomUUID()}`, [event]);
        // Only a notification can wake it within 5 s.
        expect(await subscription.waitFor(result.events[0]?.position as bigint, 5_000)).toBe(true);
        expect(seen).toEqual([event.eventId]);
      } finally {
        await listening.close();
        await writing.close();
      }
    });

    // Opens a database of its own: a new PGlite alone takes about 4 s on a busy machine.
    it('uses the injected clock for recordedAt', { timeout: 30_000 }, async () => {
      const database2 = await openTestDatabase({ forceEmbedded: backend.embedded });
      const clocked = await createPostgresEventStore(database2, {
        clock: () => new Date('2026-11-26T01:02:03.004Z'),
      });
      try {
        const streamId = `case-${randomUUID()}`;
        await clocked.append(streamId, [newEvent()]);
        const [event] = await clocked.readStream(streamId);
        expect(event?.recordedAt).toBe('2026-11-26T01:02:03.004Z');
      } finally {
        await clocked.close();
        await database2.drop();
      }
    });
  });
}
