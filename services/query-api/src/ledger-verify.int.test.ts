import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  computeEventHash,
  createPostgresEventStore,
  type RecordedEvent,
} from '@fengcheng/event-store';
import { readableUpTo } from '@fengcheng/event-store/contract';
import { type Database, openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { verifyLedger } from './ledger-verify';

const visit = () => ({
  eventId: randomUUID(),
  type: 'VisitRecorded',
  occurredAt: '2026-11-20T09:30:00+08:00',
  data: { durationMinutes: 30 },
});

/** A row written behind the store, with its hash made right for what it holds. */
async function forge(database: Database, event: Omit<RecordedEvent, 'position' | 'hash'>, position: bigint) {
  await sql`insert into es_events (position, stream_id, version, event_id, type, hash, event)
    values (${position}, ${event.streamId}, ${event.version}, ${event.eventId}, ${event.type},
            ${computeEventHash(event)}, ${canonicalJson(event)})`.execute(database.db);
}

for (const backend of reachableBackends()) {
  it(`verifyLedger on ${backend.name} passes an intact log, then names a first event off the genesis and an event filed under another case`, async () => {
    const database = await openTestDatabase({ forceEmbedded: backend.embedded });
    const store = await createPostgresEventStore(database);
    try {
      const cases = Array.from({ length: 3 }, () => `case-${randomUUID()}`);
      let last = 0n;
      for (const id of cases) last = (await store.append(id, [visit(), visit()])).events[1]!.position;
      // On a server, another session's open transaction can hide them for a moment.
      await readableUpTo(store, last);
      expect(await verifyLedger(store)).toMatchObject({ ok: true, events: 6, streams: 3, brokenCount: 0 });

      // Only the row's column is changed: the event now shows in another case's history.
      await sql`alter table es_events disable trigger es_events_no_update_delete`.execute(database.db);
      await sql`update es_events set stream_id = ${cases[1]}, version = 3
                where stream_id = ${cases[0]} and version = 2`.execute(database.db);
      await sql`alter table es_events enable trigger es_events_no_update_delete`.execute(database.db);
      const moved = await verifyLedger(store);
      expect(moved).toMatchObject({ ok: false, events: 6, brokenCount: 1 });
      expect(moved.broken).toEqual([
        { streamId: cases[0], brokenAt: 2, reason: 'hash_mismatch', position: expect.any(String) },
      ]);

      const streamId = `case-${randomUUID()}`;
      const event = {
        ...visit(),
        streamId,
        version: 1,
        recordedAt: '2026-11-20T01:30:00.000Z',
        metadata: {},
        source: null,
        prevHash: 'a'.repeat(64),
      };
      await forge(database, event, (await store.headPosition()) + 1_000_000n);
      const result = await verifyLedger(store);
      expect(result).toMatchObject({ ok: false, events: 7, brokenCount: 2 });
      expect(result.broken).toContainEqual({
        streamId,
        brokenAt: 1,
        reason: 'prev_hash_mismatch',
        position: expect.any(String),
      });
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
