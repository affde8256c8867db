/**
 * Garbage and CPU per event of the batch path, in this process: the ingest routes on a
 * scratch database, batches of 100 (ingest.bench's shape) pushed through `app.inject` by 8
 * concurrent senders. Allocation is summed from V8's GC profile (used heap before each GC
 * minus after the one before), CPU from process.cpuUsage. Three measured rounds follow a
 * warm-up; ALLOC_PROFILE=<file> also writes a sampled allocation profile (collected objects
 * included) of one more round.
 *
 *   DATABASE_URL=postgres://… npm run bench:ingest-alloc --workspace @fengcheng/scripts -- [batches per round]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { openEventStore } from '@fengcheng/event-store';
import { createHttpApp, KeyStore, registerAdminRoutes } from '@fengcheng/http';
import { registerIngestRoutes } from '@fengcheng/ingest-api';
import { createLogger, openDatabase } from '@fengcheng/platform';
import { KeyVault } from '@fengcheng/privacy';
import { batchOf100 } from './ingest.bench';
import { benchEnvironment, createScratchDatabase } from './services';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const batches = Number(process.argv[2] ?? 400);
const scratch = await createScratchDatabase(url, 'alloc');
// Closed in reverse order of opening, whatever fails on the way.
const opened: Array<() => Promise<unknown>> = [() => scratch.drop()];
try {
  await main();
} finally {
  for (const close of opened.reverse()) await close();
}

async function main() {
  const env = benchEnvironment(scratch.url);
  const database = await openDatabase({ url: scratch.url, maxConnections: 20 });
  opened.push(() => database.close());
  const logger = createLogger({ name: 'alloc', level: 'warn' });
  const { store } = await openEventStore({ database, logger });
  opened.push(() => store.close());
  const keys = await KeyStore.open(database);
  const vault = await KeyVault.open(database, Buffer.from(env.FENGCHENG_MASTER_KEY, 'base64'));
  await keys.ensureAdminKey(env.FENGCHENG_ADMIN_KEY);
  const app = await createHttpApp({
    logger,
    keys,
    rateLimit: false,
    title: 'alloc',
    readiness: async () => true,
  });
  registerAdminRoutes(app, { keys });
  registerIngestRoutes(app, { store, logger, vault });
  opened.push(() => app.close());
  await app.ready();

  async function post(path: string, key: string, body: string) {
    const response = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      payload: body,
    });
    if (response.statusCode >= 300) throw new Error(`${path}: ${response.statusCode} ${response.body}`);
    return response.json() as { key?: string; results?: Array<{ status: number }> };
  }

  const iso = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
  const now = Date.now();
  const admin = env.FENGCHENG_ADMIN_KEY;
  await post(
    '/v1/events',
    admin,
    JSON.stringify({
      eventId: crypto.randomUUID(),
      type: 'OrganisationRegistered',
      occurredAt: iso(now - 400 * 86_400_000),
      data: { organisationId: 'bench-hub', name: '基准测试机构', kind: 'hub', regionCode: '640106000000' },
    }),
  );
  const { key } = await post(
    '/v1/admin/keys',
    admin,
    JSON.stringify({ role: 'agency', organisationId: 'bench-hub', label: 'bench' }),
  );
  await post(
    '/v1/events',
    key as string,
    JSON.stringify({
      eventId: crypto.randomUUID(),
      type: 'WorkerRegistered',
      occurredAt: iso(now - 399 * 86_400_000),
      data: {
        workerId: 'bench-hub-w01',
        organisationId: 'bench-hub',
        certification: 'junior',
        role: 'frontline',
      },
    }),
  );

  async function run(count: number) {
    const bodies = Array.from({ length: count }, () => JSON.stringify(batchOf100(now)));
    let next = 0;
    const sender = async () => {
      while (next < bodies.length) {
        const body = bodies[next] as string;
        bodies[next++] = '';
        const { results } = await post('/v1/events/batch', key as string, body);
        if (results?.some((r) => r.status >= 300)) throw new Error('refused');
      }
    };
    global.gc?.();
    const profiler = new v8.GCProfiler();
    const usedBefore = v8.getHeapStatistics().used_heap_size;
    const cpu = process.cpuUsage();
    const started = performance.now();
    profiler.start();
    await Promise.all(Array.from({ length: 8 }, sender));
    const { statistics } = profiler.stop() as unknown as {
      statistics: Array<{
        gcType: string;
        cost: number;
        beforeGC: { heapStatistics: { usedHeapSize: number } };
        afterGC: { heapStatistics: { usedHeapSize: number } };
      }>;
    };
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    let allocated = 0;
    let gcMicros = 0;
    let last = usedBefore;
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - last;
      gcMicros += gc.cost;
      last = gc.afterGC.heapStatistics.usedHeapSize;
    }
    allocated += v8.getHeapStatistics().used_heap_size - last;
    const events = count * 100;
    const scavenges = statistics.filter((s) => s.gcType === 'Scavenge').length;
    return {
      events,
      kBPerEvent: allocated / events / 1024,
      cpuUsPerEvent: (used.user + used.system) / events,
      evPerSec: events / (elapsed / 1000),
      scavenges,
      gcUsPerEvent: gcMicros / events,
      gcs: statistics.length,
    };
  }

  await run(100); // warm-up
  const profile = process.env.ALLOC_PROFILE;
  if (profile) {
    // Sampled allocations including the objects young GCs have collected: where the garbage comes from.
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    await run(batches);
    const { profile: sampled } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(profile, JSON.stringify(sampled));
    session.disconnect();
  }
  for (let i = 0; i < 3; i++) {
    const r = await run(batches);
    console.log(
      `alloc ${r.kBPerEvent.toFixed(2)} kB/event, cpu ${r.cpuUsPerEvent.toFixed(1)} µs/event (GC ${r.gcUsPerEvent.toFixed(1)}), ${Math.round(r.evPerSec)} ev/s in-process, ${r.scavenges} scavenges / ${r.gcs} GCs for ${r.events} events`,
    );
  }
}
