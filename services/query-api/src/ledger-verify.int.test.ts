import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  computeEventHash,
  createPostgresEventStore,
  type RecordedEvent,
} from '@fengcheng/event-store';
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
  it(`verifyLedger on ${backend.name} passes an intact log, then names a first event that does not start from the genesis`, async () => {
    const database = await openTestDatabase({ forceEmbedded: backend.embedded });
    const store = await createPostgresEventStore(database);
    try {
      for (let i = 0; i < 3; i++) await store.append(`case-${randomUUID()}`, [visit(), visit()]);
      expect(await verifyLedger(store)).toMatchObject({ ok: true, events: 6, streams: 3, brokenCount: 0 });

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
      expect(result).toMatchObject({ ok: false, events: 7, brokenCount: 1 });
      expect(result.broken).toEqual([
        { streamId, brokenAt: 1, reason: 'prev_hash_mismatch', position: expect.any(String) },
      ]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
