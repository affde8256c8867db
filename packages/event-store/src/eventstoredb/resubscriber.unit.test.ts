import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../port';
import { backoffDelay, ResubscribingSubscription, type SubscriptionSource } from './resubscriber';

function event(position: bigint): RecordedEvent {
  return {
    eventId: `e-${position}`,
    streamId: 'case-1',
    version: Number(position),
    position,
    type: 'VisitRecorded',
    occurredAt: '2026-03-01T08:00:00+08:00',
    recordedAt: '2026-03-01T00:00:00.000Z',
    data: {},
    metadata: {},
    source: null,
    prevHash: 'p',
    hash: 'h',
  };
}

/**
 * An in-memory log behind a fake subscription source. Each connection serves what follows
 * `after`, then fails per the script (`drops[n]`: events served before connection n drops;
 * Infinity: stays open until aborted).
 */
function fakeSource(log: bigint[], drops: number[]) {
  const calls: bigint[] = [];
  const source: SubscriptionSource = (after, signal) => {
    const connection = calls.length;
    calls.push(after);
    return {
      async *[Symbol.asyncIterator]() {
        const budget = drops[connection] ?? Number.POSITIVE_INFINITY;
        let served = 0;
        for (const position of log.filter((p) => p > after)) {
          if (served === budget) throw new Error(`connection ${connection} dropped`);
          served++;
          yield event(position);
        }
        if (served === budget) throw new Error(`connection ${connection} dropped`);
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      },
    };
  };
  return { source, calls };
}

describe('back-off', () => {
  it('doubles from the initial delay up to the ceiling', () => {
    const backoff = { initialMs: 100, maxMs: 1_000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
});

describe('resubscribing subscription', () => {
  it('hands over every event once, in order, across drops, resuming from its checkpoint', async () => {
    const { source, calls } = fakeSource([1n, 2n, 3n, 4n, 5n, 6n, 7n], [2, 0, 0, 3]);
    const handled: bigint[] = [];
    const delays: number[] = [];
    const subscription = new ResubscribingSubscription({
      source,
      batchSize: 2,
      backoff: { initialMs: 10, maxMs: 25, factor: 2 },
      sleep: async (ms) => {
        delays.push(ms);
      },
      handle: async (events) => {
        handled.push(...events.map((e) => e.position));
      },
    });
    expect(await subscription.waitFor(7n, 2_000)).toBe(true);
    await subscription.stop();
    await expect(subscription.done).resolves.toBeUndefined();
    expect(handled).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(calls).toEqual([0n, 2n, 2n, 2n, 5n]);
    // Reset after connection 0 delivered, growing while 1 and 2 delivered nothing, reset after 3.
    expect(delays).toEqual([10, 20, 25, 10]);
    expect(subscription.position).toBe(7n);
  });

  it('starts strictly after the given position and batches what is buffered', async () => {
    const { source, calls } = fakeSource([1n, 2n, 3n, 4n, 5n, 6n], []);
    const batches: bigint[][] = [];
    const subscription = new ResubscribingSubscription({
      source,
      after: 2n,
      batchSize: 3,
      handle: async (events) => {
        batches.push(events.map((e) => e.position));
      },
    });
    expect(await subscription.waitFor(6n, 2_000)).toBe(true);
    await subscription.stop();
    expect(calls).toEqual([2n]);
    expect(batches).toEqual([[3n, 4n, 5n], [6n]]);
  });

  it('resubscribes from the durable checkpoint when it has one', async () => {
    const { source, calls } = fakeSource([1n, 2n, 3n, 4n], [1]);
    let durable = 0n;
    const handled: bigint[] = [];
    const subscription = new ResubscribingSubscription({
      source,
      batchSize: 1,
      sleep: async () => {},
      loadCheckpoint: async () => durable,
      handle: async (events) => {
        handled.push(...events.map((e) => e.position));
        // The projector commits the checkpoint with the read-model change.
        durable = events.at(-1)!.position;
      },
    });
    expect(await subscription.waitFor(4n, 2_000)).toBe(true);
    await subscription.stop();
    expect(calls).toEqual([0n, 1n]);
    expect(handled).toEqual([1n, 2n, 3n, 4n]);
  });

  it('stops with the handler error and resubscribes no more', async () => {
    const { source, calls } = fakeSource([1n, 2n, 3n], []);
    const subscription = new ResubscribingSubscription({
      source,
      batchSize: 1,
      handle: async (events) => {
        if (events[0]!.position === 2n) throw new Error('read model refused');
      },
    });
    await expect(subscription.done).rejects.toThrow('read model refused');
    expect(subscription.position).toBe(1n);
    expect(calls).toEqual([0n]);
    expect(await subscription.waitFor(3n, 50)).toBe(false);
  });

  it('stops while waiting out a back-off', async () => {
    const { source, calls } = fakeSource([1n], [0, 0, 0]);
    const subscription = new ResubscribingSubscription({
      source,
      backoff: { initialMs: 60_000 },
      handle: async () => {},
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await subscription.stop();
    await expect(subscription.done).resolves.toBeUndefined();
    expect(calls).toEqual([0n]);
  });

  it('reports each drop with its attempt and delay', async () => {
    const { source } = fakeSource([1n], [0, 0]);
    const drops: Array<{ attempt: number; delayMs: number; message: string }> = [];
    const subscription = new ResubscribingSubscription({
      source,
      backoff: { initialMs: 5, factor: 3 },
      sleep: async () => {},
      onDrop: ({ attempt, delayMs, error }) =>
        drops.push({ attempt, delayMs, message: (error as Error).message }),
      handle: async () => {},
    });
    expect(await subscription.waitFor(1n, 2_000)).toBe(true);
    await subscription.stop();
    expect(drops).toEqual([
      { attempt: 1, delayMs: 5, message: 'connection 0 dropped' },
      { attempt: 2, delayMs: 15, message: 'connection 1 dropped' },
    ]);
  });
});
