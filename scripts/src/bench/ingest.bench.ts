import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '@fengcheng/event-store';
import { openDatabase } from '@fengcheng/platform';
import autocannon from 'autocannon';
import { analystTotalAt } from '../yinchuan/load';
import { benchEnvironment, createScratchDatabase, type RunningService, startService } from './services';
import { median, percentile } from './stats';

/**
 * HTTP ingest against the standalone ingest API in a child process (its own event loop and
 * core share), driven by autocannon from this process. Each single POST opens a new case; each
 * batch carries ten new cases of ten events. The projector then catches up in a process of its
 * own, so its peak RSS is measured on the same log.
 */
export interface IngestFigures {
  httpSinglePostsPerSec: number;
  httpSinglePostP50Ms: number;
  httpSinglePostP99Ms: number;
  httpBatchEventsPerSec: number;
  httpBatchRequestP99Ms: number;
  /** The ingest API's own CPU time (from /proc) per single POST and per batch event: the cost, apart from the rate. */
  ingestCpuUsPerSinglePost: number;
  ingestCpuUsPerBatchEvent: number;
  /** Events the projector process applied per second while catching up with the ingested log. */
  projectorCatchUpEventsPerSec: number;
  ingestPeakRssMb: number;
  projectorPeakRssMb: number;
}

const ORGANISATION = 'bench-hub';
const WORKER = 'bench-hub-w01';
const COMMUNITY = '640106001004';

const iso = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;

function intake(caseId: string, occurredAt: string) {
  return {
    eventId: randomUUID(),
    type: 'IntakeRecorded',
    caseId,
    occurredAt,
    data: {
      organisationId: ORGANISATION,
      workerId: WORKER,
      communityCode: COMMUNITY,
      targetGroups: ['elderly'],
      // Personal fields as an agency sends them: the ingest API encrypts them before the append.
      client: {
        clientRef: `ref-${caseId.slice(0, 8)}`,
        name: '马桂兰',
        phone: '139 9510 0117',
        birthYear: 1948,
        gender: 'female',
      },
      needs: ['daily_living', 'health'],
      riskLevel: 'medium',
    },
  };
}

/** Ten new cases of intake, consent and eight visits: one agency's export of a morning. */
export function batchOf100(now: number) {
  const events: unknown[] = [];
  for (let c = 0; c < 10; c++) {
    const caseId = randomUUID();
    events.push(intake(caseId, iso(now - 20 * 86_400_000)));
    events.push({
      eventId: randomUUID(),
      type: 'ConsentRecorded',
      caseId,
      occurredAt: iso(now - 20 * 86_400_000 + 60_000),
      data: { scope: 'services', signatory: 'client' },
    });
    for (let v = 0; v < 8; v++) {
      events.push({
        eventId: randomUUID(),
        type: 'VisitRecorded',
        caseId,
        occurredAt: iso(now - (19 - 2 * v) * 86_400_000),
        data: {
          visitId: `v-${v}`,
          workerId: WORKER,
          mode: 'home',
          durationMinutes: 60,
          services: ['daily_living', 'health'],
        },
      });
    }
  }
  return { events };
}

async function post(url: string, path: string, key: string, body: unknown) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json().catch(() => null)) as unknown;
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Registers the organisation and its worker; returns the organisation's agency key. */
export async function registerBenchAgency(url: string, adminKey: string): Promise<string> {
  const now = Date.now();
  await post(url, '/v1/events', adminKey, {
    eventId: randomUUID(),
    type: 'OrganisationRegistered',
    occurredAt: iso(now - 400 * 86_400_000),
    data: { organisationId: ORGANISATION, name: '基准测试机构', kind: 'hub', regionCode: '640106000000' },
  });
  const { key } = (await post(url, '/v1/admin/keys', adminKey, {
    role: 'agency',
    organisationId: ORGANISATION,
    label: 'bench',
  })) as { key: string };
  await post(url, '/v1/events', key, {
    eventId: randomUUID(),
    type: 'WorkerRegistered',
    occurredAt: iso(now - 399 * 86_400_000),
    data: { workerId: WORKER, organisationId: ORGANISATION, certification: 'junior', role: 'frontline' },
  });
  return key;
}

/**
 * autocannon with the latencies of its 2xx responses kept as measured, in fractions of a
 * millisecond: its own histogram keeps whole milliseconds (a 15.9 ms p99 read 15).
 */
async function loadWithLatencies(options: autocannon.Options) {
  const latenciesMs: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done: autocannon.Result) =>
      error ? reject(error) : resolve(done),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
    });
  });
  return { result, p50: percentile(latenciesMs, 50), p99: percentile(latenciesMs, 99) };
}

export async function singlePosts(url: string, key: string, seconds: number) {
  const occurredAt = iso(Date.now() - 86_400_000);
  const { result, p50, p99 } = await loadWithLatencies({
    url,
    connections: 50,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(intake(randomUUID(), occurredAt)) }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(
      `single posts: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  return { appended: result['2xx'], perSec: result['2xx'] / (result.duration || seconds), p50, p99 };
}

export async function batchPosts(url: string, key: string, seconds: number) {
  let refused = 0;
  let firstRefusal = '';
  const now = Date.now();
  const { result, p99 } = await loadWithLatencies({
    url,
    connections: 8,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events/batch',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(batchOf100(now)) }),
        onResponse: (_status, body) => {
          const { results } = JSON.parse(body) as { results?: Array<{ status: number }> };
          for (const item of results ?? []) {
            if (item.status >= 300) {
              refused++;
              if (!firstRefusal) firstRefusal = JSON.stringify(item);
            }
          }
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || refused > 0)
    throw new Error(
      `batches: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${refused} events refused (${firstRefusal})`,
    );
  return {
    appended: result['2xx'] * 100,
    perSec: (result['2xx'] * 100) / (result.duration || seconds),
    p99,
  };
}

export async function runIngestBench(options: {
  url: string;
  quick?: boolean;
  runs?: number;
  onProgress?: (line: string) => void;
}): Promise<IngestFigures> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 3);
  const seconds = quick ? 3 : 10;
  const say = options.onProgress ?? (() => {});
  const database = await createScratchDatabase(options.url, 'ingest');
  const env = benchEnvironment(database.url);
  const adminKey = env.FENGCHENG_ADMIN_KEY;
  const services: RunningService[] = [];
  try {
    const ingest = await startService('ingest-api', env);
    services.push(ingest);
    const key = await registerBenchAgency(ingest.url, adminKey);
    say('warming up the ingest API');
    let appended = 2; // the organisation and its worker
    appended += (await singlePosts(ingest.url, key, quick ? 1 : 3)).appended;
    appended += (await batchPosts(ingest.url, key, quick ? 1 : 2)).appended;
    // A load's figures with the ingest API's own CPU time per appended event (from /proc).
    const withCpu = async <T extends { appended: number }>(load: () => Promise<T>) => {
      const before = ingest.cpuMs();
      const result = await load();
      return { ...result, cpuUs: ((ingest.cpuMs() - before) * 1000) / result.appended };
    };
    const single: Array<{ perSec: number; p50: number; p99: number; cpuUs: number }> = [];
    const batch: Array<{ perSec: number; p99: number; cpuUs: number }> = [];
    for (let run = 0; run < runs; run++) {
      const s = await withCpu(() => singlePosts(ingest.url, key, seconds));
      single.push(s);
      appended += s.appended;
      say(
        `single POST run ${run + 1}/${runs}: ${Math.round(s.perSec)} req/s, ingest CPU ${Math.round(s.cpuUs)} µs a request`,
      );
      const b = await withCpu(() => batchPosts(ingest.url, key, seconds));
      batch.push(b);
      appended += b.appended;
      say(
        `batch run ${run + 1}/${runs}: ${Math.round(b.perSec)} ev/s, ingest CPU ${Math.round(b.cpuUs)} µs an event`,
      );
    }
    const ingestPeakRssMb = ingest.peakRssMb();

    say('projector catching up with the ingested log');
    // The query API (which tells when the read models have the head) is up first; the projector
    // is timed from its spawn, its bundle built: node's start-up (about 0.3 s here) is counted.
    const query = await startService('query-api', env);
    services.push(query);
    let startedAt = 0;
    const projector = await startService('projector', env, {
      onSpawn: () => {
        startedAt = performance.now();
      },
    });
    services.push(projector);
    await analystTotalAt(query.url, adminKey, await headPosition(database.url), 600_000);
    const projectorSeconds = (performance.now() - startedAt) / 1000;

    return {
      httpSinglePostsPerSec: Math.round(median(single.map((s) => s.perSec))),
      httpSinglePostP50Ms: median(single.map((s) => s.p50)),
      httpSinglePostP99Ms: median(single.map((s) => s.p99)),
      httpBatchEventsPerSec: Math.round(median(batch.map((b) => b.perSec))),
      httpBatchRequestP99Ms: median(batch.map((b) => b.p99)),
      ingestCpuUsPerSinglePost: Math.round(median(single.map((s) => s.cpuUs))),
      ingestCpuUsPerBatchEvent: round1(median(batch.map((b) => b.cpuUs))),
      projectorCatchUpEventsPerSec: Math.round(appended / projectorSeconds),
      ingestPeakRssMb: round1(ingestPeakRssMb),
      projectorPeakRssMb: round1(projector.peakRssMb()),
    };
  } finally {
    for (const service of services.reverse()) await service.stop().catch(() => {});
    await database.drop().catch(() => {});
  }
}

async function headPosition(url: string): Promise<bigint> {
  const database = await openDatabase({ url, maxConnections: 1 });
  const store = await createPostgresEventStore(database);
  try {
    return await store.headPosition();
  } finally {
    await store.close();
    await database.close();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
