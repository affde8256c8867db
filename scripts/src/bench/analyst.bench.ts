import { SingleBar } from 'cli-progress';
import { generateYinchuan, SERVICE_INSTANCES_PER_SCALE } from '../yinchuan/generate';
import { analystTotalAt, httpPost, loadYinchuan } from '../yinchuan/load';
import { benchEnvironment, createScratchDatabase, type RunningService, startService } from './services';
import { median, percentile } from './stats';

const SEED = 20_240_101;

export interface AnalystResult {
  /** Scale 1 under plain keys; the larger scale under `big…` keys. */
  figures: Record<string, number>;
  notes: string[];
  /** VmHWM of each service over the loads and queries, MB. */
  peaks: Record<string, number>;
}

interface Query {
  name: string;
  path: string;
}

function analystQueries(organisationId: string, projectId: string): Query[] {
  return [
    { name: 'service instances, total', path: '/v1/stats/service-instances' },
    { name: 'by county', path: '/v1/stats/service-instances?groupBy=county' },
    { name: 'by month, elderly', path: '/v1/stats/service-instances?groupBy=month&targetGroup=elderly' },
    { name: 'by township in 兴庆区', path: '/v1/stats/service-instances?groupBy=township&region=640104' },
    {
      name: 'by service in 2025',
      path: '/v1/stats/service-instances?groupBy=service&from=2025-01-01&to=2025-12-31',
    },
    { name: 'by project', path: '/v1/stats/service-instances?groupBy=project' },
    {
      name: 'by organisation in 金凤区, children',
      path: '/v1/stats/service-instances?groupBy=organisation&region=640106&targetGroup=child',
    },
    {
      name: 'by day, one organisation',
      path: `/v1/stats/service-instances?groupBy=day&organisationId=${organisationId}`,
    },
    { name: 'project outcomes', path: '/v1/projects/outcomes' },
    { name: 'project outcomes, one project', path: `/v1/projects/outcomes?projectId=${projectId}` },
    {
      name: 'worker workloads, one organisation',
      path: `/v1/workers/workloads?organisationId=${organisationId}`,
    },
    { name: 'worker workloads, 灵武市', path: '/v1/workers/workloads?region=640181' },
    { name: 'region summary, city', path: '/v1/regions/6401/summary' },
    { name: 'region summary, county', path: '/v1/regions/640104/summary' },
  ];
}

/** Times one GET; the body is read in full (a query is done when its answer has arrived). */
async function timedGet(url: string, key: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 300)}`);
  return ms;
}

/** Case ids spread over the first (loaded) organisations' streams: the histories a reviewer reads. */
function sampleCases(scale: number, count: number, organisations: string[] | undefined): string[] {
  const dataset = generateYinchuan({ seed: SEED, scale });
  const ids: string[] = [];
  const loaded = dataset.organisations.filter(
    (o) => !organisations || organisations.includes(o.organisationId),
  );
  const perOrganisation = Math.ceil(count / Math.min(10, loaded.length));
  for (const organisation of loaded) {
    let taken = 0;
    for (const envelope of dataset.eventsFor(organisation.organisationId)) {
      if (envelope.type === 'IntakeRecorded' && envelope.caseId) {
        ids.push(envelope.caseId);
        if (++taken >= perOrganisation || ids.length >= count) break;
      }
    }
    if (ids.length >= count) break;
  }
  return ids;
}

async function oneScale(options: {
  url: string;
  scale: number;
  quick: boolean;
  runs: number;
  say: (line: string) => void;
  peaks: Record<string, number>;
  /** Load only these organisations' events (every registration still goes first). */
  organisations?: string[] | undefined;
}) {
  const { scale, quick, runs, say, peaks, organisations } = options;
  const database = await createScratchDatabase(options.url, `yinchuan${scale}`);
  const env = benchEnvironment(database.url);
  const adminKey = env.FENGCHENG_ADMIN_KEY;
  const services: RunningService[] = [];
  const peak = (key: string, service: RunningService) => {
    peaks[key] = Math.max(peaks[key] ?? 0, service.peakRssMb());
  };
  try {
    const ingest = await startService('ingest-api', env);
    services.push(ingest);
    const projector = await startService('projector', env);
    services.push(projector);
    const query = await startService('query-api', env);
    services.push(query);
    // The history's limit: the same reads with plain SQL and no ledger logic, on the same log.
    const bare = await startService(
      'query-api',
      { DATABASE_URL: database.url },
      { script: 'scripts/src/bench/bare-server.ts' },
    );
    services.push(bare);

    say(
      `loading Yinchuan ×${scale}${organisations ? ` (${organisations.join(', ')})` : ''} through POST /v1/events/batch (ingest-api, projector following)`,
    );
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format: '  loading |{bar}| {percentage}% {value}/{total} events | {rate} ev/s',
          stream: process.stderr,
        })
      : undefined;
    let barStarted = false;
    let lastSaid = 0;
    const load = await loadYinchuan({
      post: httpPost(ingest.url),
      adminKey,
      seed: SEED,
      scale,
      ...(organisations ? { organisations } : {}),
      batchSize: 500,
      concurrency: 4,
      onProgress: (p) => {
        const rate = Math.round(p.events / (p.seconds || 1));
        if (bar) {
          if (!barStarted) bar.start(p.totalEvents, 0, { rate });
          barStarted = true;
          bar.update(p.events, { rate });
        } else if (p.events - lastSaid >= p.totalEvents / 10) {
          lastSaid = p.events;
          say(`${p.events}/${p.totalEvents} events, ${rate} ev/s`);
        }
      },
    });
    bar?.stop();
    peak('ingestPeakRssMb', ingest);
    if (load.rejected > 0) throw new Error(`the loader had ${load.rejected} events rejected`);
    const total = await analystTotalAt(query.url, adminKey, load.lastPosition, 1_800_000);
    const loadedAndProjected = (performance.now() - load.firstPostAt) / 1000;
    peak('projectorPeakRssMb', projector);
    // The dataset's 140,000 × scale, or the slice's share of it.
    const expected = organisations ? load.expectedServiceInstances : SERVICE_INSTANCES_PER_SCALE * scale;
    say(
      `loaded ${load.events} events in ${load.seconds.toFixed(1)} s (${Math.round(load.events / load.seconds)} ev/s), projected after ${loadedAndProjected.toFixed(1)} s; analyst total ${total} (expected ${expected})`,
    );
    if (total !== expected) throw new Error(`the analyst total is ${total}, expected ${expected}`);

    const dataset = generateYinchuan({ seed: SEED, scale });
    const queries = analystQueries(
      organisations?.[0] ?? dataset.organisations[0]!.organisationId,
      dataset.projects.find((p) => p.brand)?.projectId ?? dataset.projects[0]!.projectId,
    );
    const cases = sampleCases(scale, quick ? 50 : 200, organisations);
    // 100 calls of each query a run: a per-query p99 is then its second slowest, not its slowest.
    const iterations = quick ? 5 : 100;
    const historyPasses = quick ? 1 : 10;
    // One pass to warm caches and JIT before timing.
    for (const q of queries) await timedGet(`${query.url}${q.path}`, adminKey);
    for (const c of cases.slice(0, 20)) {
      await timedGet(`${query.url}/v1/cases/${c}/history?purpose=benchmark`, adminKey);
      await timedGet(`${bare.url}/v1/cases/${c}/history`, adminKey);
    }

    const perQuery = new Map<string, { samples: number[]; p50: number[]; p99: number[] }>();
    const allP50: number[] = [];
    const allP99: number[] = [];
    const historyP50: number[] = [];
    const historyP99: number[] = [];
    const limitP50: number[] = [];
    const limitP99: number[] = [];
    for (let run = 0; run < runs; run++) {
      const all: number[] = [];
      for (let i = 0; i < iterations; i++) {
        for (const q of queries) {
          const ms = await timedGet(`${query.url}${q.path}`, adminKey);
          all.push(ms);
          const entry = perQuery.get(q.name) ?? { samples: [], p50: [], p99: [] };
          perQuery.set(q.name, entry);
          entry.samples.push(ms);
        }
      }
      for (const entry of perQuery.values()) {
        entry.p50.push(percentile(entry.samples, 50));
        entry.p99.push(percentile(entry.samples, 99));
        entry.samples = [];
      }
      allP50.push(percentile(all, 50));
      allP99.push(percentile(all, 99));
      // Ours and the limit take turns case by case, so that both meet the same minute of the machine.
      // Every case is read `historyPasses` times: a p99 over 200 reads was their second slowest.
      const histories: number[] = [];
      const limits: number[] = [];
      for (let pass = 0; pass < historyPasses; pass++) {
        for (const c of cases) {
          histories.push(await timedGet(`${query.url}/v1/cases/${c}/history?purpose=benchmark`, adminKey));
          limits.push(await timedGet(`${bare.url}/v1/cases/${c}/history`, adminKey));
        }
      }
      historyP50.push(percentile(histories, 50));
      historyP99.push(percentile(histories, 99));
      limitP50.push(percentile(limits, 50));
      limitP99.push(percentile(limits, 99));
      say(
        `run ${run + 1}/${runs}: analyst p50 ${allP50.at(-1)!.toFixed(1)} ms p99 ${allP99.at(-1)!.toFixed(1)} ms over ${all.length}; case history p50 ${historyP50.at(-1)!.toFixed(1)} ms p99 ${historyP99.at(-1)!.toFixed(1)} ms over ${histories.length} (limit p50 ${limitP50.at(-1)!.toFixed(1)} p99 ${limitP99.at(-1)!.toFixed(1)})`,
      );
    }
    peak('queryPeakRssMb', query);
    peak('ingestPeakRssMb', ingest);
    peak('projectorPeakRssMb', projector);

    const round = (n: number) => Math.round(n * 100) / 100;
    const detail: Record<string, number> = {};
    for (const [name, entry] of perQuery) {
      detail[`${name} p50 ms`] = round(median(entry.p50));
      detail[`${name} p99 ms`] = round(median(entry.p99));
    }
    return {
      events: load.events,
      loadSeconds: round(loadedAndProjected),
      loadEventsPerSec: Math.round(load.events / load.seconds),
      analystTotal: total,
      expectedTotal: expected,
      analystP50Ms: round(median(allP50)),
      analystP99Ms: round(median(allP99)),
      caseHistoryP50Ms: round(median(historyP50)),
      caseHistoryP99Ms: round(median(historyP99)),
      limitCaseHistoryP50Ms: round(median(limitP50)),
      limitCaseHistoryP99Ms: round(median(limitP99)),
      detail,
    };
  } finally {
    for (const service of services.reverse()) await service.stop().catch(() => {});
    await database.drop().catch(() => {});
  }
}

/**
 * Section 4: each scale in a database of its own with the three standalone services as child
 * processes; the dataset goes in through the real batch path, then the analyst endpoints and
 * case histories are timed over HTTP, one request at a time.
 */
export async function runAnalystBench(options: {
  url: string;
  quick?: boolean;
  runs?: number;
  scales?: number[];
  /** Load only these organisations' events (quick mode's slice). */
  organisations?: string[];
  onProgress?: (line: string) => void;
}): Promise<AnalystResult> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 3);
  const say = options.onProgress ?? (() => {});
  const peaks: Record<string, number> = {};
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  for (const scale of options.scales ?? [1]) {
    const r = await oneScale({
      url: options.url,
      scale,
      quick,
      runs,
      say,
      peaks,
      organisations: options.organisations,
    });
    const prefix = scale === 1 ? '' : 'big';
    const key = (name: string) => (prefix ? `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}` : name);
    if (scale === 1) {
      figures.yinchuanLoadSeconds = r.loadSeconds;
      figures.yinchuanLoadEventsPerSec = r.loadEventsPerSec;
      figures.yinchuanEvents = r.events;
    } else {
      figures.bigScale = scale;
      figures.bigLoadSeconds = r.loadSeconds;
      figures.bigLoadEventsPerSec = r.loadEventsPerSec;
      figures.bigEvents = r.events;
    }
    figures[key('analystTotal')] = r.analystTotal;
    figures[key('analystP50Ms')] = r.analystP50Ms;
    figures[key('analystP99Ms')] = r.analystP99Ms;
    figures[key('caseHistoryP50Ms')] = r.caseHistoryP50Ms;
    figures[key('caseHistoryP99Ms')] = r.caseHistoryP99Ms;
    figures[key('limitCaseHistoryP50Ms')] = r.limitCaseHistoryP50Ms;
    figures[key('limitCaseHistoryP99Ms')] = r.limitCaseHistoryP99Ms;
    for (const [name, value] of Object.entries(r.detail)) figures[`×${scale} ${name}`] = value;
    notes.push(
      `Yinchuan ×${scale}${options.organisations ? ` (only ${options.organisations.join(', ')})` : ''}: ${r.events.toLocaleString('en-US')} events loaded through POST /v1/events/batch (500 per batch, 4 organisations at a time) and projected in ${r.loadSeconds} s; the analyst endpoint reports ${r.analystTotal.toLocaleString('en-US')} service instances (expected ${r.expectedTotal.toLocaleString('en-US')}). Timed from the first post; the loader's pass that counts the dataset's events for its progress bar comes before.`,
    );
    const slowest = Object.entries(r.detail)
      .filter(([name]) => name.endsWith('p99 ms'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, value]) => `${name.replace(' p99 ms', '')} ${value} ms`);
    notes.push(`Yinchuan ×${scale}: slowest analyst queries by p99: ${slowest.join('; ')}.`);
  }
  return { figures, notes, peaks };
}
