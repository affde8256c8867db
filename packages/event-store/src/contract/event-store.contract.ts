import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, WrongExpectedVersionError } from '../errors';
import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import type { EventStore, ExpectedVersion, NewEvent, RecordedEvent } from '../port';

export interface ContractBackend {
  store: EventStore;
  cleanup(): Promise<void>;
  /**
   * Adapter-specific: alters the stored event at `version` behind the store's back (the
   * store itself refuses to). When given, the suite checks that verification names it.
   */
  tamper?(streamId: string, version: number): Promise<void>;
  /** Opens another store on the same events (same database, or same server and namespace); the test closes it. */
  reopen(): Promise<EventStore>;
}

let sequence = 0;
/** A 400-byte-ish event with a fresh id. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  sequence++;
  return {
    eventId: randomUUID(),
    type: 'VisitRecorded',
    occurredAt: '2026-11-20T09:30:00+08:00',
    data: {
      visitId: `v-${sequence}`,
      workerId: 'w-1',
      mode: 'home',
      durationMinutes: 45,
      services: ['counselling'],
    },
    metadata: { organisationId: 'org-1', correlationId: randomUUID() },
    ...overrides,
  };
}

const stream = (label: string) => `${label}-${randomUUID()}`;

/**
 * Waits until the global log is readable up to `position`. An adapter may hold readers back
 * while an older transaction is still open (the Postgres store does, cluster-wide, so a
 * test run beside other writers can see its own appends late).
 */
export async function readableUpTo(store: EventStore, position: bigint, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.headPosition()) < position) {
    if (Date.now() > deadline) throw new Error(`the log did not become readable up to ${position}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviours every event-store adapter must show. Call it from an adapter's own
 * `*.int.test.ts` with a function that opens a fresh, empty store.
 */
export function describeEventStoreContract(
  name: string,
  open: () => Promise<ContractBackend>,
  opts: { concurrentWriters?: boolean } = {},
): void {
  // Generous timeouts: on a shared server another session's open transaction can delay readers.
  describe(`event store contract: ${name}`, { timeout: 30_000 }, () => {
    let backend: ContractBackend;
    let store: EventStore;

    /** A checkpoint after everything appended so far: the position of a fresh marker event, once readable. */
    const mark = async (): Promise<bigint> => {
      const result = await store.append(stream('marker'), [newEvent()]);
      const position = result.events[0]?.position as bigint;
      await readableUpTo(store, position);
      return position;
    };

    beforeAll(async () => {
      backend = await open();
      store = backend.store;
    });
    afterAll(async () => {
      await backend?.cleanup();
    });

    describe('append and read', () => {
      it('appends the first event of a stream as version 1, chained from the genesis hash', async () => {
        const id = stream('case');
        const event = newEvent({ source: { system: 'cms', recordId: randomUUID() } });
        const result = await store.append(id, [event], { expectedVersion: 'no_stream' });
        expect(result.streamId).toBe(id);
        expect(result.version).toBe(1);
        expect(result.duplicate).toBe(false);
        expect(result.events).toHaveLength(1);
        expect(result.events[0]?.eventId).toBe(event.eventId);
        expect(result.events[0]?.version).toBe(1);
        expect(typeof result.events[0]?.position).toBe('bigint');

        const [read] = await store.readStream(id);
        expect(read).toBeDefined();
        const recorded = read as RecordedEvent;
        expect(recorded.eventId).toBe(event.eventId);
        expect(recorded.streamId).toBe(id);
        expect(recorded.version).toBe(1);
        expect(recorded.position).toBe(result.events[0]?.position);
        expect(recorded.type).toBe('VisitRecorded');
        expect(recorded.occurredAt).toBe('2026-11-20T09:30:00+08:00');
        expect(recorded.data).toEqual(event.data);
        expect(recorded.metadata).toEqual(event.metadata);
        expect(recorded.source).toEqual(event.source);
        expect(new Date(recorded.recordedAt).toISOString()).toBe(recorded.recordedAt);
        expect(recorded.prevHash).toBe(GENESIS_HASH);
        expect(recorded.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(recorded.hash).toBe(computeEventHash(recorded));
      });

      it('stores an event without metadata or source as {} and null', async () => {
        const id = stream('case');
        await store.append(id, [
          { eventId: randomUUID(), type: 'T', occurredAt: '2026-01-01T00:00:00Z', data: {} },
        ]);
        const [recorded] = await store.readStream(id);
        expect(recorded?.metadata).toEqual({});
        expect(recorded?.source).toBeNull();
        expect(recorded?.data).toEqual({});
      });

      it('numbers versions consecutively across appends and chains each hash to the one before', async () => {
        const id = stream('case');
        await store.append(id, [newEvent()]);
        const second = await store.append(id, [newEvent(), newEvent()], { expectedVersion: 1 });
        expect(second.version).toBe(3);
        expect(second.events.map((e) => e.version)).toEqual([2, 3]);
        const third = await store.append(id, [newEvent()], { expectedVersion: 'stream_exists' });
        expect(third.version).toBe(4);
        const events = await store.readStream(id);
        expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4]);
        for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
        expect(await store.streamVersion(id)).toBe(4);
      });

      it('reads a stream from a version, to a version, and up to a limit', async () => {
        const id = stream('case');
        await store.append(id, [newEvent(), newEvent(), newEvent(), newEvent(), newEvent()]);
        expect((await store.readStream(id, { fromVersion: 3 })).map((e) => e.version)).toEqual([3, 4, 5]);
        expect((await store.readStream(id, { toVersion: 2 })).map((e) => e.version)).toEqual([1, 2]);
        expect((await store.readStream(id, { fromVersion: 2, limit: 2 })).map((e) => e.version)).toEqual([
          2, 3,
        ]);
      });

      it('reads a missing stream as empty, at version 0', async () => {
        const id = stream('missing');
        expect(await store.readStream(id)).toEqual([]);
        expect(await store.streamVersion(id)).toBe(0);
      });

      it('refuses an empty append', async () => {
        await expect(store.append(stream('case'), [])).rejects.toThrow(/at least one event/);
      });

      it('refuses an eventId that is not a UUID, and appends nothing', async () => {
        const id = stream('case');
        await expect(store.append(id, [newEvent({ eventId: 'visit-1' })])).rejects.toThrow(/UUID/);
        expect(await store.streamVersion(id)).toBe(0);
      });

      it('keeps an eventId sent in upper case in lower case', async () => {
        const id = stream('case');
        const eventId = randomUUID();
        const result = await store.append(id, [newEvent({ eventId: eventId.toUpperCase() })]);
        expect(result.events[0]?.eventId).toBe(eventId);
        const [recorded] = await store.readStream(id);
        expect(recorded?.eventId).toBe(eventId);
        expect(recorded?.hash).toBe(computeEventHash(recorded as RecordedEvent));
      });
    });

    describe('expected version', () => {
      it('rejects a stale number with the actual version and appends nothing', async () => {
        const id = stream('case');
        await store.append(id, [newEvent(), newEvent()]);
        const error = await rejection(store.append(id, [newEvent()], { expectedVersion: 1 }));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(2);
        expect((error as WrongExpectedVersionError).expected).toBe(1);
        expect((error as WrongExpectedVersionError).code).toBe('EXPECTED_VERSION_MISMATCH');
        expect(await store.streamVersion(id)).toBe(2);
      });

      it('rejects a number ahead of the stream', async () => {
        const id = stream('case');
        await store.append(id, [newEvent()]);
        const error = await rejection(store.append(id, [newEvent()], { expectedVersion: 5 }));
        expect((error as WrongExpectedVersionError).actual).toBe(1);
      });

      it("treats 'no_stream' and 0 alike: only a missing stream passes", async () => {
        const id = stream('case');
        await store.append(id, [newEvent()], { expectedVersion: 0 });
        const a = await rejection(store.append(id, [newEvent()], { expectedVersion: 'no_stream' }));
        const b = await rejection(store.append(id, [newEvent()], { expectedVersion: 0 }));
        expect(a).toBeInstanceOf(WrongExpectedVersionError);
        expect(b).toBeInstanceOf(WrongExpectedVersionError);
        expect((a as WrongExpectedVersionError).actual).toBe(1);
        expect(await store.streamVersion(id)).toBe(1);
      });

      it("'stream_exists' fails on a missing stream and passes on an existing one", async () => {
        const id = stream('case');
        const error = await rejection(store.append(id, [newEvent()], { expectedVersion: 'stream_exists' }));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(0);
        // Again, now that the store has seen the stream empty.
        const again = await rejection(store.append(id, [newEvent()], { expectedVersion: 'stream_exists' }));
        expect(again).toBeInstanceOf(WrongExpectedVersionError);
        await store.append(id, [newEvent()]);
        expect((await store.append(id, [newEvent()], { expectedVersion: 'stream_exists' })).version).toBe(2);
      });

      it('refuses with a RangeError an expected version that is no version and no known word', async () => {
        const id = stream('case');
        await store.append(id, [newEvent()]);
        // -1 and -2 are not 'any' and 'stream_exists' in disguise: a caller's arithmetic gone wrong.
        for (const expectedVersion of [-1, -2, 1.5, Number.NaN, 'bogus']) {
          const error = await rejection(
            store.append(id, [newEvent()], { expectedVersion: expectedVersion as ExpectedVersion }),
          );
          expect(error).toBeInstanceOf(RangeError);
          expect((error as Error).message).toMatch(/expectedVersion/);
        }
        expect(await store.streamVersion(id)).toBe(1);
      });

      it("'any' appends whatever the version", async () => {
        const id = stream('case');
        expect((await store.append(id, [newEvent()], { expectedVersion: 'any' })).version).toBe(1);
        expect((await store.append(id, [newEvent()])).version).toBe(2);
      });
    });

    describe('idempotency', () => {
      it('answers a repeated event with the original result, duplicate, and appends nothing', async () => {
        const id = stream('case');
        const event = newEvent();
        const first = await store.append(id, [event], { expectedVersion: 'no_stream' });
        await store.append(id, [newEvent()]);
        const again = await store.append(id, [{ ...event, metadata: { correlationId: 'retry' } }], {
          expectedVersion: 'no_stream',
        });
        expect(again).toEqual({ ...first, duplicate: true });
        expect(await store.streamVersion(id)).toBe(2);
      });

      it("answers a repeated event appended with 'any' as a duplicate", async () => {
        const id = stream('case');
        const event = newEvent();
        const first = await store.append(id, [event]);
        const again = await store.append(id, [event]);
        expect(again).toEqual({ ...first, duplicate: true });
        expect(await store.streamVersion(id)).toBe(1);
      });

      it("answers a repeated batch with its events and the original append's last version", async () => {
        const id = stream('case');
        const batch = [newEvent(), newEvent(), newEvent()];
        const first = await store.append(id, batch, { expectedVersion: 'no_stream' });
        await store.append(id, [newEvent()], { expectedVersion: 3 });
        const again = await store.append(id, batch, { expectedVersion: 'no_stream' });
        expect(again).toEqual({ ...first, duplicate: true });
        const part = await store.append(id, [batch[0] as NewEvent], { expectedVersion: 'no_stream' });
        expect(part.duplicate).toBe(true);
        expect(part.version).toBe(3);
        expect(part.events).toEqual([first.events[0]]);
        expect(await store.streamVersion(id)).toBe(4);
      });

      it('answers an event re-sent with its eventId in upper case as a duplicate', async () => {
        const id = stream('case');
        const event = newEvent();
        const first = await store.append(id, [event]);
        const again = await store.append(id, [{ ...event, eventId: event.eventId.toUpperCase() }]);
        expect(again).toEqual({ ...first, duplicate: true });
        expect(await store.streamVersion(id)).toBe(1);
      });

      it('rejects the same eventId with a different body as EVENT_ID_CONFLICT', async () => {
        const id = stream('case');
        const event = newEvent();
        await store.append(id, [event]);
        const error = await rejection(
          store.append(id, [{ ...event, data: { ...event.data, durationMinutes: 46 } }]),
        );
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as IdempotencyConflictError).code).toBe('EVENT_ID_CONFLICT');
        expect((error as IdempotencyConflictError).key).toEqual({ eventId: event.eventId });
        expect(await store.streamVersion(id)).toBe(1);
      });

      it('rejects the same eventId in another stream as EVENT_ID_CONFLICT', async () => {
        const event = newEvent();
        await store.append(stream('case'), [event]);
        const other = stream('case');
        const error = await rejection(store.append(other, [event]));
        expect((error as IdempotencyConflictError).code).toBe('EVENT_ID_CONFLICT');
        expect(await store.streamVersion(other)).toBe(0);
      });

      it('answers the same source record with the same body as a duplicate of the original', async () => {
        const id = stream('case');
        const source = { system: 'cms-a', recordId: randomUUID() };
        const event = newEvent({ source });
        const first = await store.append(id, [event]);
        const resent = await store.append(id, [{ ...event, eventId: randomUUID() }]);
        expect(resent).toEqual({ ...first, duplicate: true });
        expect(resent.events[0]?.eventId).toBe(event.eventId);
        expect(await store.streamVersion(id)).toBe(1);
      });

      it('rejects the same source record with a different body as SOURCE_RECORD_CONFLICT', async () => {
        const id = stream('case');
        const source = { system: 'cms-a', recordId: randomUUID() };
        await store.append(id, [newEvent({ source })]);
        const error = await rejection(store.append(id, [newEvent({ source })]));
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as IdempotencyConflictError).code).toBe('SOURCE_RECORD_CONFLICT');
        expect((error as IdempotencyConflictError).key).toEqual({
          sourceSystem: 'cms-a',
          sourceRecordId: source.recordId,
        });
        expect(await store.streamVersion(id)).toBe(1);
      });

      it('rejects a batch mixing new events with events appended before, and appends none of it', async () => {
        const id = stream('case');
        const old = newEvent();
        await store.append(id, [old]);
        const fresh = newEvent();
        const error = await rejection(store.append(id, [old, fresh]));
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect((error as IdempotencyConflictError).key).toEqual({ eventId: fresh.eventId });
        expect(await store.streamVersion(id)).toBe(1);
      });
    });

    describe('atomic batches', () => {
      it('appends nothing of a batch whose last event conflicts', async () => {
        const taken = newEvent();
        await store.append(stream('case'), [taken]);
        const id = stream('case');
        await store.append(id, [newEvent()]);
        const error = await rejection(
          store.append(id, [newEvent(), newEvent(), { ...taken, data: { x: 1 } }]),
        );
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect(await store.streamVersion(id)).toBe(1);
        expect(await store.readStream(id)).toHaveLength(1);
      });

      it('appends nothing of a batch with a stale expected version', async () => {
        const id = stream('case');
        await store.append(id, [newEvent()]);
        await expect(
          store.append(id, [newEvent(), newEvent()], { expectedVersion: 0 }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.streamVersion(id)).toBe(1);
      });

      it('keeps parallel appends to different streams independent: one failing fails no other', async () => {
        const taken = newEvent();
        await store.append(stream('case'), [taken]);
        const existing = stream('case');
        await store.append(existing, [newEvent()]);
        const conflicting = stream('case');
        const fresh = Array.from({ length: 12 }, () => stream('case'));
        const outcomes = await Promise.allSettled([
          ...fresh
            .slice(0, 6)
            .map((id) => store.append(id, [newEvent(), newEvent()], { expectedVersion: 'no_stream' })),
          store.append(existing, [newEvent()], { expectedVersion: 0 }),
          store.append(conflicting, [newEvent(), { ...taken, data: { changed: true } }]),
          ...fresh.slice(6).map((id) => store.append(id, [newEvent()])),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual([
          ...Array(6).fill('fulfilled'),
          'rejected',
          'rejected',
          ...Array(6).fill('fulfilled'),
        ]);
        expect((outcomes[6] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        expect((outcomes[7] as PromiseRejectedResult).reason).toBeInstanceOf(IdempotencyConflictError);
        expect(await Promise.all(fresh.map((id) => store.streamVersion(id)))).toEqual([
          ...Array(6).fill(2),
          ...Array(6).fill(1),
        ]);
        expect(await store.streamVersion(existing)).toBe(1);
        expect(await store.streamVersion(conflicting)).toBe(0);
      });

      it('answers every event of parallel appends with the version and position it was stored at', async () => {
        // Appends waiting together may travel in one statement (the Postgres store groups them).
        const ids = Array.from({ length: 6 }, () => stream('case'));
        const results = await Promise.all(
          ids.map((id, j) =>
            store.append(
              id,
              Array.from({ length: 1 + (j % 3) }, () => newEvent()),
              { expectedVersion: 'no_stream' },
            ),
          ),
        );
        for (const [j, id] of ids.entries()) {
          const stored = (await store.readStream(id)).map((e) => ({
            eventId: e.eventId,
            version: e.version,
            position: e.position,
          }));
          expect(results[j]?.events).toEqual(stored);
          expect(stored).toHaveLength(1 + (j % 3));
        }
      });

      it('refuses a batch naming one eventId twice', async () => {
        const id = stream('case');
        const event = newEvent();
        await expect(store.append(id, [event, event])).rejects.toThrow(/twice/);
        expect(await store.streamVersion(id)).toBe(0);
      });

      it('refuses a batch naming one source record twice at once, leaving the record free', async () => {
        const id = stream('case');
        const source = { system: 'cms', recordId: randomUUID() };
        const started = Date.now();
        await expect(store.append(id, [newEvent({ source }), newEvent({ source })])).rejects.toThrow(/twice/);
        // Refused before anything is written, not after the appender has raced itself.
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await store.streamVersion(id)).toBe(0);
        expect((await store.append(id, [newEvent({ source })])).version).toBe(1);
      });

      it('refuses a batch naming one eventId twice in two letter cases', async () => {
        const id = stream('case');
        const event = newEvent();
        await expect(
          store.append(id, [event, { ...newEvent(), eventId: event.eventId.toUpperCase() }]),
        ).rejects.toThrow(/twice/);
        expect(await store.streamVersion(id)).toBe(0);
      });
    });

    describe('global log', () => {
      it('reads the global log after a position, in strictly increasing position order', async () => {
        const before = await mark();
        const a = stream('case');
        const b = stream('case');
        const r1 = await store.append(a, [newEvent(), newEvent()]);
        const r2 = await store.append(b, [newEvent()]);
        const r3 = await store.append(a, [newEvent()]);
        await readableUpTo(store, r3.events[0]?.position as bigint);
        const all = await store.readAll({ after: before });
        expect(all.map((e) => e.eventId)).toEqual(
          [...r1.events, ...r2.events, ...r3.events].map((e) => e.eventId),
        );
        for (let i = 1; i < all.length; i++) {
          expect((all[i] as RecordedEvent).position > (all[i - 1] as RecordedEvent).position).toBe(true);
        }
        for (const event of all) expect(typeof event.position).toBe('bigint');
        const afterFirst = await store.readAll({ after: r1.events[1]?.position as bigint });
        expect(afterFirst.map((e) => e.eventId)).toEqual([r2.events[0]?.eventId, r3.events[0]?.eventId]);
        const limited = await store.readAll({ after: before, limit: 2 });
        expect(limited.map((e) => e.eventId)).toEqual(r1.events.map((e) => e.eventId));
        expect(await store.headPosition()).toBe(r3.events[0]?.position);
      });

      it('reads from the start by default', async () => {
        const appended = await store.append(stream('case'), [newEvent()]);
        await readableUpTo(store, appended.events[0]?.position as bigint);
        const first = await store.readAll({ limit: 1 });
        expect(first).toHaveLength(1);
        const everything = await store.readAll({ limit: 100_000 });
        expect(everything[0]?.eventId).toBe(first[0]?.eventId);
        expect(everything.at(-1)?.position).toBe(await store.headPosition());
      });
    });

    describe('subscriptions', () => {
      it('catches up from a checkpoint, then delivers new events live', async () => {
        const before = await mark();
        const id = stream('case');
        const early = await store.append(id, [newEvent(), newEvent(), newEvent()]);
        const received: RecordedEvent[] = [];
        const subscription = store.subscribe({
          after: before,
          batchSize: 2,
          handle: async (events) => {
            received.push(...events);
          },
        });
        expect(await subscription.waitFor(early.events[2]?.position as bigint, 15_000)).toBe(true);
        expect(received.map((e) => e.eventId)).toEqual(early.events.map((e) => e.eventId));
        const late = await store.append(id, [newEvent(), newEvent()]);
        expect(await subscription.waitFor(late.events[1]?.position as bigint, 15_000)).toBe(true);
        expect(received.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
        expect(subscription.position).toBe(late.events[1]?.position);
        await subscription.stop();
        await expect(subscription.done).resolves.toBeUndefined();
      });

      it('answers waitFor with false when the position is not reached in time', async () => {
        const subscription = store.subscribe({ after: await store.headPosition(), handle: async () => {} });
        const head = await store.headPosition();
        expect(await subscription.waitFor(head + 1_000_000_000n, 50)).toBe(false);
        await subscription.stop();
      });

      it('stops its subscriptions when closed, and refuses new ones', async () => {
        const other = await backend.reopen();
        try {
          const before = await mark();
          const id = stream('case');
          const received: RecordedEvent[] = [];
          const subscription = other.subscribe({
            after: before,
            handle: async (events) => {
              received.push(...events.filter((event) => event.streamId === id));
            },
          });
          const first = await store.append(id, [newEvent()]);
          expect(await subscription.waitFor(first.events[0]?.position as bigint, 15_000)).toBe(true);
          await other.close();
          const settled = await Promise.race([
            subscription.done.then(
              () => 'resolved',
              () => 'rejected',
            ),
            pause(5_000).then(() => 'still running'),
          ]);
          expect(settled).toBe('resolved');
          expect(() => other.subscribe({ handle: async () => {} })).toThrow(/closed/);
          // Appended through another store: nothing of the closed one may still be listening.
          const late = await store.append(id, [newEvent()]);
          await readableUpTo(store, late.events[0]?.position as bigint);
          await pause(500);
          expect(received.map((event) => event.version)).toEqual([1]);
        } finally {
          await other.close();
        }
      });

      it('stops and rejects done when the handler throws', async () => {
        const before = await store.headPosition();
        await store.append(stream('case'), [newEvent()]);
        const subscription = store.subscribe({
          after: before,
          handle: async () => {
            throw new Error('projection failed');
          },
        });
        await expect(subscription.done).rejects.toThrow('projection failed');
        expect(subscription.position).toBe(before);
      });
    });

    describe('hash chain and ledger digest', () => {
      it('verifies an intact stream and reports its head', async () => {
        const id = stream('case');
        const result = await store.append(id, [newEvent(), newEvent(), newEvent()]);
        const events = await store.readStream(id);
        expect(await store.verifyStream(id)).toEqual({
          ok: true,
          streamId: id,
          events: 3,
          head: events[2]?.hash,
        });
        expect(result.version).toBe(3);
        expect(await store.readVerifiedStream(id)).toEqual({
          events,
          verification: await store.verifyStream(id),
        });
      });

      it('verifies a missing stream as an empty chain', async () => {
        const id = stream('missing');
        const empty = { ok: true, streamId: id, events: 0, head: GENESIS_HASH };
        expect(await store.verifyStream(id)).toEqual(empty);
        expect(await store.readVerifiedStream(id)).toEqual({ events: [], verification: empty });
      });

      it('names the first broken link of a tampered stream', async (context) => {
        if (!backend.tamper) {
          context.skip();
          return;
        }
        const id = stream('case');
        const before = await store.headPosition();
        const appended = await store.append(id, [newEvent(), newEvent(), newEvent(), newEvent()]);
        await readableUpTo(store, appended.events[3]?.position as bigint);
        const checkedOf = async () =>
          (await store.readAllChecked({ after: before, limit: 100_000 }))
            .filter(({ event }) => event.streamId === id)
            .map(({ event, intact }) => [event.version, intact]);
        expect(await checkedOf()).toEqual([
          [1, true],
          [2, true],
          [3, true],
          [4, true],
        ]);
        await backend.tamper(id, 2);
        const broken = { ok: false, streamId: id, events: 4, brokenAt: 2, reason: 'hash_mismatch' };
        expect(await store.verifyStream(id)).toEqual(broken);
        const read = await store.readVerifiedStream(id);
        expect(read.verification).toEqual(broken);
        expect(read.events.map((event) => event.version)).toEqual([1, 2, 3, 4]);
        // Each event's own hash, on the global log: only the altered one fails.
        expect(await checkedOf()).toEqual([
          [1, true],
          [2, false],
          [3, true],
          [4, true],
        ]);
      });

      it('gives the same ledger digest for the same log, and keeps a past prefix stable', async () => {
        const appended = await store.append(stream('case'), [newEvent()]);
        await readableUpTo(store, appended.events[0]?.position as bigint);
        const one = await store.ledgerDigest();
        const two = await store.ledgerDigest();
        expect(two).toEqual(one);
        expect(one.digest).toMatch(/^[0-9a-f]{64}$/);
        expect(one.lastPosition).toBe(await store.headPosition());
        expect(one.events).toBe((await store.readAll({ limit: 100_000 })).length);
        // The same page with each hash checked (an earlier test tampered with one of them).
        const checked = await store.readAllChecked({ limit: 100_000 });
        expect(checked.map(({ event }) => event)).toEqual(await store.readAll({ limit: 100_000 }));
        const later = await store.append(stream('case'), [newEvent()]);
        await readableUpTo(store, later.events[0]?.position as bigint);
        expect(await store.ledgerDigest({ upTo: one.lastPosition })).toEqual(one);
        const grown = await store.ledgerDigest();
        expect(grown.events).toBe(one.events + 1);
        expect(grown.digest).not.toBe(one.digest);
      });
    });

    describe.runIf(opts.concurrentWriters)('concurrent writers', () => {
      it("lets exactly one of many racing 'no_stream' appends win", async () => {
        const id = stream('case');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () => store.append(id, [newEvent()], { expectedVersion: 'no_stream' })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const failures = outcomes.filter((o) => o.status === 'rejected');
        expect(failures).toHaveLength(7);
        for (const failure of failures) expect(failure.reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.streamVersion(id)).toBe(1);
      });

      it("gives racing 'any' appends distinct consecutive versions and an intact chain", async () => {
        const id = stream('case');
        const results = await Promise.all(Array.from({ length: 8 }, () => store.append(id, [newEvent()])));
        expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await store.verifyStream(id)).ok).toBe(true);
      });

      it('answers racing duplicates of one event with one append and the rest duplicates', async () => {
        const id = stream('case');
        const event = newEvent();
        const results = await Promise.all(Array.from({ length: 6 }, () => store.append(id, [event])));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.events[0]?.position)).size).toBe(1);
        expect(await store.streamVersion(id)).toBe(1);
      });
    });
  });
}
