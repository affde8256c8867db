import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '@fengcheng/event-store';
import { readableUpTo } from '@fengcheng/event-store/contract';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRebuildStore } from './rebuild-store';

const logger = createLogger({ name: 'rebuild-store-test', level: 'silent' });
// Nothing listens there: opening the EventStoreDB adapter does not connect, so the choice shows alone.
const ESDB_URL = 'esdb://127.0.0.1:1?tls=false';

describe('the event store a rebuild reads', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  // Opening an embedded database can take longer than vitest's default 10 s on a busy machine.
  beforeAll(async () => {
    database = await openTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  }, 60_000);

  it('is the PostgreSQL event store in the database when no EventStoreDB is named', async () => {
    const writer = await createPostgresEventStore(database);
    const streamId = `case-${randomUUID()}`;
    const eventId = randomUUID();
    const appended = await writer.append(streamId, [
      {
        eventId,
        type: 'VisitRecorded',
        occurredAt: '2026-11-20T09:30:00+08:00',
        data: { durationMinutes: 30 },
      },
    ]);
    const { store, kind } = await openRebuildStore({ database, logger, env: {} });
    try {
      expect(kind).toBe('postgres');
      // Another test's open transaction on a shared server may hold the newest appends back from readers.
      await readableUpTo(store, appended.events[0]!.position);
      const events = await store.readAll({ after: 0n, limit: 100 });
      expect(events.map((event) => event.eventId)).toContain(eventId);
    } finally {
      await store.close();
      await writer.close();
    }
  });

  it('is EventStoreDB when EVENTSTORE_URL names one', async () => {
    const { store, kind } = await openRebuildStore({ database, logger, env: { EVENTSTORE_URL: ESDB_URL } });
    await store.close();
    expect(kind).toBe('eventstoredb');
  });

  it('is EventStoreDB when --eventstore-url names one, with EVENTSTORE_URL unset', async () => {
    const { store, kind } = await openRebuildStore({ database, logger, eventstoreUrl: ESDB_URL, env: {} });
    await store.close();
    expect(kind).toBe('eventstoredb');
  });

  it('takes --eventstore-url over EVENTSTORE_URL', async () => {
    await expect(
      openRebuildStore({ database, logger, eventstoreUrl: 'http://x', env: { EVENTSTORE_URL: ESDB_URL } }),
    ).rejects.toThrow(/^--eventstore-url must be an esdb:\/\/ or esdb\+discover:\/\/ connection string/);
  });

  it('refuses an EVENTSTORE_URL that is not an esdb:// connection string, naming the variable and not its value', async () => {
    const refused = openRebuildStore({ database, logger, env: { EVENTSTORE_URL: 'postgres://u:secret@x' } });
    await expect(refused).rejects.toThrow(
      /^EVENTSTORE_URL must be an esdb:\/\/ or esdb\+discover:\/\/ connection string/,
    );
    await expect(refused).rejects.not.toThrow(/secret/);
  });

  it('treats a blank EVENTSTORE_URL as unset', async () => {
    const { store, kind } = await openRebuildStore({ database, logger, env: { EVENTSTORE_URL: ' ' } });
    await store.close();
    expect(kind).toBe('postgres');
  });
});
