import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from './port';
import { PollingSubscription } from './subscription';

const event: RecordedEvent = {
  eventId: '00000000-0000-4000-8000-000000000001',
  streamId: 'case-1',
  version: 1,
  position: 7n,
  type: 'VisitRecorded',
  occurredAt: '2026-03-01T07:30:00+08:00',
  recordedAt: '2026-03-01T00:00:00.000Z',
  data: {},
  metadata: {},
  source: null,
  prevHash: '',
  hash: '',
};

describe('PollingSubscription', () => {
  // The event committed (and notified) while an older transaction elsewhere hid it; when that
  // transaction ends nothing wakes the subscriber, so its re-reads must not back off to the poll.
  it('re-reads held-back rows at least every 250 ms, however long its poll interval', async () => {
    let hidden = true;
    const subscription = new PollingSubscription(
      {
        readAll: async ({ after }) => (hidden || (after ?? 0n) >= event.position ? [] : [event]),
        heldBack: async () => hidden,
        onWake: () => () => undefined,
        pollIntervalMs: 60_000,
      },
      { after: 0n, handle: async () => undefined },
    );
    try {
      // Held back for 3 s: a back-off doubling from 5 ms would next re-read at about 5.1 s.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      hidden = false;
      expect(await subscription.waitFor(event.position, 1_000)).toBe(true);
    } finally {
      await subscription.stop();
    }
  });
});
