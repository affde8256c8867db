import { type Envelope, streamIdFor } from '@fengcheng/domain';
import { createPostgresEventStore, type EventStore, type NewEvent } from '@fengcheng/event-store';
import { createLogger, openDatabase } from '@fengcheng/platform';
import {
  dropAllReadModels,
  getProjectOutcomes,
  getRegionSummary,
  getServiceInstances,
  getWorkerWorkloads,
  readModelsFor,
  rebuildReadModels,
} from '@fengcheng/read-models';
import type { Kysely } from 'kysely';
import { generateYinchuan } from '../yinchuan/generate';

const SEED = 20_240_101;

/** Appends the Yinchuan dataset straight to the store, each organisation's events in order, a stream's run in one append. */
async function appendYinchuan(store: EventStore, scale: number): Promise<number> {
  const dataset = generateYinchuan({ seed: SEED, scale });
  const toNew = (e: Envelope, organisationId: string): NewEvent => ({
    eventId: e.eventId,
    type: e.type,
    occurredAt: e.occurredAt,
    data: e.data as Record<string, unknown>,
    metadata: { organisationId, keyId: 'bench' },
  });
  let appended = 0;
  const appendRuns = async (envelopes: Iterable<Envelope>, organisationId: string) => {
    let stream = '';
    let run: NewEvent[] = [];
    const flush = async () => {
      if (run.length) await store.append(stream, run);
      appended += run.length;
      run = [];
    };
    for (const e of envelopes) {
      const id = streamIdFor(e);
      if (id !== stream) {
        await flush();
        stream = id;
      }
      run.push(toNew(e, organisationId));
    }
    await flush();
  };
  const organisations = dataset.registrations.filter((e) => e.type === 'OrganisationRegistered');
  for (const e of organisations) await appendRuns([e], 'admin');
  for (const e of dataset.registrations.filter((r) => r.type !== 'OrganisationRegistered'))
    await appendRuns([e], 'admin');
  const queue = dataset.organisations.map((o) => o.organisationId);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await appendRuns(dataset.eventsFor(id), id);
    }),
  );
  return appended;
}

function queries(db: Kysely<any>, organisationId: string, projectId: string) {
  const now = new Date('2026-10-31T12:00:00Z');
  return [
    ['service instances, total', () => getServiceInstances(db, {})],
    ['by county', () => getServiceInstances(db, { groupBy: 'county' })],
    ['by month, elderly', () => getServiceInstances(db, { groupBy: 'month', targetGroup: 'elderly' })],
    ['by township in 兴庆区', () => getServiceInstances(db, { groupBy: 'township', region: '640104' })],
    [
      'by service in 2025',
      () => getServiceInstances(db, { groupBy: 'service', from: '2025-01-01', to: '2025-12-31' }),
    ],
    ['by project', () => getServiceInstances(db, { groupBy: 'project' })],
    [
      'by organisation in 金凤区, children',
      () => getServiceInstances(db, { groupBy: 'organisation', region: '640106', targetGroup: 'child' }),
    ],
    ['by day, one organisation', () => getServiceInstances(db, { groupBy: 'day', organisationId })],
    ['project outcomes', () => getProjectOutcomes(db, {})],
    ['project outcomes, one project', () => getProjectOutcomes(db, { projectId })],
    ['worker workloads, one organisation', () => getWorkerWorkloads(db, { organisationId, now })],
    ['worker workloads, 灵武市', () => getWorkerWorkloads(db, { region: '640181', now })],
    ['region summary, city', () => getRegionSummary(db, '640100000000')],
    ['region summary, county', () => getRegionSummary(db, '640104000000')],
    [
      'region summary, county, 2025',
      () => getRegionSummary(db, '640104000000', { from: '2025-01-01', to: '2025-12-31' }),
    ],
  ] as const;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/**
 * Times the analyst queries on the Yinchuan dataset at `scale`, called directly (no HTTP).
 * The events are appended once into schema `bench_queries_<scale>` of DATABASE_URL and kept
 * for later runs; the read models are rebuilt unless `--no-rebuild`. Run:
 * `DATABASE_URL=… npx tsx scripts/src/bench/analyst-queries.bench.ts [scale] [runs] [--no-rebuild]`.
 */
async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const scale = Number(args[0] ?? 1);
  const runs = Number(args[1] ?? 30);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must name a Postgres server');
  const database = await openDatabase({ url, schema: `bench_queries_${scale}` });
  const store = await createPostgresEventStore(database);
  const logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'warn' });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if ((await store.headPosition()) === 0n) {
      const started = performance.now();
      const appended = await appendYinchuan(store, scale);
      out(`appended ${appended} events in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    if (!process.argv.includes('--no-rebuild')) {
      await dropAllReadModels(database);
      const result = await rebuildReadModels({ store, database, logger, dropDelayMs: 0 });
      out(
        `rebuilt ${result.events} events in ${result.seconds.toFixed(1)} s (${Math.round(result.events / result.seconds)} ev/s)`,
      );
    }
    const db = await readModelsFor(database);
    const dataset = generateYinchuan({ seed: SEED, scale: 1 });
    const organisationId = dataset.organisations[0]!.organisationId;
    const projectId = dataset.projects[0]!.projectId;
    const results: Record<string, { p50: number; p99: number }> = {};
    const all: number[] = [];
    for (const [name, run] of queries(db, organisationId, projectId)) {
      await run(); // warm
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      results[name] = { p50: +percentile(times, 50).toFixed(1), p99: +percentile(times, 99).toFixed(1) };
      out(`${name.padEnd(36)} p50 ${results[name].p50} ms  p99 ${results[name].p99} ms`);
    }
    all.sort((a, b) => a - b);
    out(`ALL p50 ${percentile(all, 50).toFixed(1)} ms  p99 ${percentile(all, 99).toFixed(1)} ms`);
  } finally {
    await store.close();
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
