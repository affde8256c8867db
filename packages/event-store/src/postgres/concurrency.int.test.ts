import { randomUUID } from 'node:crypto';
import { openTestDatabase } from '@fengcheng/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../contract/event-store.contract';
import { IdempotencyConflictError, WrongExpectedVersionError } from '../errors';
import type { EventStore, NewEvent, RecordedEvent } from '../port';
import { createPostgresEventStore } from './postgres-event-store';

const WRITERS = 8;
const STORES = 4;
const TARGET_EVENTS = 20_000;
const HOT_STREAMS = 6;

/**
 * The global-order test of issue #2: real concurrent transactions need a server (PGlite
 * is a single connection, where nothing can commit out of order).
 */
describe.skipIf(!process.env.DATABASE_URL)(
  'postgres event store under 8 concurrent writers (skipped without DATABASE_URL: needs a Postgres server)',
  () => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    const stores: EventStore[] = [];

    beforeAll(async () => {
      database = await openTestDatabase({ maxConnections: WRITERS + 3 });
      // One store per writer: each has its own head cache and per-stream queue, so writers
      // race in the database, as separate processes would.
      for (let i = 0; i <= WRITERS; i++)
        stores.push(await createPostgresEventStore(database, { pollIntervalMs: 100 }));
    });
    afterAll(async () => {
      for (const store of stores) await store.close();
      await database?.drop();
    });

    it('delivers every committed event exactly once, in position order, and nothing of a rejected append', async () => {
      const reader = stores[STORES] as EventStore;
      const received: RecordedEvent[] = [];
      let outOfOrder = 0;
      const subscription = reader.subscribe({
        after: 0n,
        batchSize: 500,
        handle: async (events) => {
          for (const event of events) {
            const previous = received.at(-1);
            if (previous && event.position <= previous.position) outOfOrder++;
            received.push(event);
          }
        },
      });

      const acknowledged = new Set<string>();
      let lastAcknowledged = 0n;
      const rejected = new Set<string>();
      const counts = { appends: 0, singles: 0, batches: 0, versionConflicts: 0, idempotencyConflicts: 0 };
      const hot = Array.from({ length: HOT_STREAMS }, () => `case-hot-${randomUUID()}`);

      const writer = async (store: EventStore, w: number) => {
        let i = 0;
        while (acknowledged.size < TARGET_EVENTS) {
          i++;
          const kind = (i + w) % 10;
          let streamId: string;
          let events: NewEvent[];
          let expectedVersion: number | 'no_stream' | 'any';
          if (kind < 3) {
            // single event, new stream
            streamId = `case-${randomUUID()}`;
            events = [newEvent()];
            expectedVersion = 'no_stream';
            counts.singles++;
          } else if (kind < 6) {
            // batch to a new stream
            streamId = `case-${randomUUID()}`;
            events = Array.from({ length: 10 + (i % 30) }, () => newEvent());
            expectedVersion = 'no_stream';
            counts.batches++;
          } else if (kind < 9) {
            // racing with other writers on a hot stream, at the version last seen
            streamId = hot[(i * 7 + w) % HOT_STREAMS] as string;
            events = Array.from({ length: 1 + (i % 5) }, () => newEvent());
            expectedVersion = await store.streamVersion(streamId);
          } else {
            // a batch that inserts rows and then fails on a reused eventId: rolled back whole
            const reused = [...acknowledged][i % Math.max(1, acknowledged.size)];
            streamId = `case-${randomUUID()}`;
            events = [newEvent(), newEvent(), ...(reused ? [newEvent({ eventId: reused })] : [])];
            expectedVersion = 'any';
          }
          try {
            const result = await store.append(streamId, events, { expectedVersion });
            counts.appends++;
            expect(result.duplicate).toBe(false);
            for (const event of result.events) {
              acknowledged.add(event.eventId);
              if (event.position > lastAcknowledged) lastAcknowledged = event.position;
            }
          } catch (error) {
            if (error instanceof WrongExpectedVersionError) counts.versionConflicts++;
            else if (error instanceof IdempotencyConflictError) counts.idempotencyConflicts++;
            else throw error;
            for (const event of events) if (!acknowledged.has(event.eventId)) rejected.add(event.eventId);
          }
        }
      };
      await Promise.all(
        Array.from({ length: WRITERS }, (_, w) => writer(stores[w % STORES] as EventStore, w)),
      );

      expect(await subscription.waitFor(lastAcknowledged, 20_000)).toBe(true);
      await subscription.stop();

      const receivedIds = received.map((event) => event.eventId);
      expect(acknowledged.size).toBeGreaterThanOrEqual(TARGET_EVENTS);
      expect(counts.versionConflicts).toBeGreaterThan(0);
      expect(counts.idempotencyConflicts).toBeGreaterThan(0);
      expect(outOfOrder).toBe(0);
      expect(new Set(receivedIds).size).toBe(receivedIds.length);
      expect(receivedIds.length).toBe(acknowledged.size);
      expect(receivedIds.filter((id) => !acknowledged.has(id))).toEqual([]);
      expect(receivedIds.filter((id) => rejected.has(id))).toEqual([]);
      for (const streamId of hot) expect((await reader.verifyStream(streamId)).ok).toBe(true);
    }, 60_000);
  },
);
