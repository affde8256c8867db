import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createPostgresEventStore } from '@fengcheng/event-store';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { createProjector, dropAllReadModels, registerProjectorMetrics } from '@fengcheng/read-models';
import { describe, expect, it } from 'vitest';
import { createHealthServer } from './health';

const logger = createLogger({ name: 'projector-health-test', level: 'silent' });

/** The value of an unlabelled gauge in a Prometheus text exposition. */
function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in /metrics`);
  return Number(line.slice(name.length + 1));
}

interface Served {
  get(path: string): Promise<{ status: number; text: string }>;
  /** The position the first event went in at. */
  position: bigint;
  /** Stops the projector and drops the database (once; the end of the test does it otherwise). */
  takeDown(): Promise<void>;
  unregisterMetrics(): void;
}

async function withProjectorServer(
  firstEvent: { type: string; data: Record<string, unknown> },
  body: (served: Served) => Promise<void>,
): Promise<void> {
  // Embedded: the head and the position are then this test's alone.
  const database = await openTestDatabase({ forceEmbedded: true });
  const store = await createPostgresEventStore(database);
  const appended = await store.append(`organisation-${randomUUID()}`, [
    { eventId: randomUUID(), occurredAt: '2026-02-01T09:00:00+08:00', ...firstEvent },
  ]);
  const projector = createProjector({ store, database, logger });
  await projector.start();
  const unregisterMetrics = registerProjectorMetrics(projector, store);
  const server = createHealthServer(projector, () => false);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let down: Promise<void> | undefined;
  const takeDown = () => {
    down ??= (async () => {
      await projector.stop();
      await store.close();
      await dropAllReadModels(database);
      await database.drop();
    })();
    return down;
  };
  try {
    await body({
      get: async (path) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, text: await response.text() };
      },
      position: appended.events[0]!.position,
      takeDown,
      unregisterMetrics,
    });
  } finally {
    unregisterMetrics();
    await new Promise((resolve) => server.close(resolve));
    await takeDown();
  }
}

const ORGANISATION = {
  type: 'OrganisationRegistered',
  data: { organisationId: 'org-metrics', name: 'Metrics', kind: 'hub', regionCode: '640104000000' },
};

describe("the projector service's health and metrics", () => {
  it('shows on /metrics the position the read models reach, the head of the log, and no failing', async () => {
    await withProjectorServer(ORGANISATION, async ({ get, position }) => {
      const started = Date.now();
      while (Date.now() - started < 20_000) {
        const metrics = await get('/metrics');
        if (gauge(metrics.text, 'fengcheng_projector_position') === Number(position)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(gauge(metrics.text, 'fengcheng_projector_position')).toBe(Number(position));
      expect(gauge(metrics.text, 'fengcheng_event_log_head_position')).toBe(Number(position));
      expect(gauge(metrics.text, 'fengcheng_projector_failing_seconds')).toBe(0);
      expect(metrics.text).toContain('process_resident_memory_bytes');
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/readyz')).status).toBe(200);
      expect((await get('/nothing-here')).status).toBe(404);
    });
  });

  it('shows on /metrics for how long the projector has failed, with the head past its position', async () => {
    // Past the ingest's checks, straight into the store: no read model can hold a NUL.
    const poison = {
      type: 'OrganisationRegistered',
      data: { organisationId: 'org-nul', name: 'a\u0000b', kind: 'hub', regionCode: '640104000000' },
    };
    await withProjectorServer(poison, async ({ get, position }) => {
      const started = Date.now();
      let failingSeconds = 0;
      while (failingSeconds < 1 && Date.now() - started < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        failingSeconds = gauge((await get('/metrics')).text, 'fengcheng_projector_failing_seconds');
      }
      expect(failingSeconds).toBeGreaterThanOrEqual(1);
      const metrics = (await get('/metrics')).text;
      expect(gauge(metrics, 'fengcheng_projector_position')).toBe(0);
      expect(gauge(metrics, 'fengcheng_event_log_head_position')).toBe(Number(position));
      const ready = await get('/readyz');
      expect(ready.status).toBe(200); // not yet FAILING_MS
      expect(JSON.parse(ready.text)).toMatchObject({ failing: { position: '0' } });
    });
  });

  it('still answers /metrics when the event store does not (head NaN), and drops the gauges of a stopped projector', async () => {
    await withProjectorServer(ORGANISATION, async ({ get, takeDown, unregisterMetrics }) => {
      await takeDown();
      // The database is gone: the head cannot be read, the rest of the scrape still can.
      const down = await get('/metrics');
      expect(down.status).toBe(200);
      expect(gauge(down.text, 'fengcheng_event_log_head_position')).toBeNaN();
      expect(gauge(down.text, 'fengcheng_projector_failing_seconds')).toBe(0);
      unregisterMetrics();
      const after = await get('/metrics');
      expect(after.status).toBe(200);
      expect(after.text).not.toContain('fengcheng_projector_position');
      expect(after.text).toContain('process_resident_memory_bytes');
    });
  });
});
