import type { Envelope } from '@fengcheng/domain';
import { generateYinchuan, type YinchuanDataset } from './generate';
import { serviceInstanceTally } from './tally';

/** Sends one JSON request; `fetch` against a running server, or `app.inject` in-process. */
export type Post = (path: string, body: unknown, key: string) => Promise<{ status: number; body: unknown }>;

export function httpPost(baseUrl: string): Post {
  return async (path, body, key) => {
    const response = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
}

/**
 * The analyst total once the read models include `minPosition` (0: as they are). Each ask
 * waits up to 5 s on the server and answers 503 PROJECTION_LAGGING after; it asks again until
 * `timeoutMs` has passed.
 */
export async function analystTotalAt(
  queryUrl: string,
  key: string,
  minPosition: bigint,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  do {
    const response = await fetch(
      new URL(`/v1/stats/service-instances?minPosition=${minPosition}`, queryUrl),
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    const body = (await response.json().catch(() => ({}))) as { total?: unknown; code?: string };
    if (response.ok && typeof body.total === 'number') return body.total;
    if (response.status !== 503) {
      throw new Error(`the query API answered ${response.status} ${body.code ?? ''}`.trim());
    }
  } while (Date.now() < deadline);
  throw new Error(`the read models did not reach position ${minPosition} within ${timeoutMs / 1000} s`);
}

export interface LoadProgress {
  events: number;
  totalEvents: number;
  rejected: number;
  /** Since the first post. */
  seconds: number;
}

export interface LoadResult {
  /** The agency keys the loader issued (one per organisation), for the caller to revoke. */
  issuedKeyIds: string[];
  events: number;
  rejected: number;
  /** From the first post to the last answer. */
  seconds: number;
  /**
   * `performance.now()` at the first post. Before it the loader generated the dataset once to
   * count its events for the progress bar (0.5 s at ×1 here): generating, not loading.
   */
  firstPostAt: number;
  lastPosition: bigint;
  expectedServiceInstances: number;
  /**
   * What this load added to the analyst total by the counting rule: the service instances of the
   * events it appended, less those of the entries it voided. The dataset's own (expected) on a
   * fresh ledger; 0 when every event was a replay; the rest of it when an earlier load stopped
   * half-way.
   */
  addedServiceInstances: number;
}

/**
 * What a whole load reports once the read models have it: `npm start -- --yinchuan` prints it
 * and logs it (`yinchuan loaded`), and the bench's embedded section reads that line.
 */
export interface YinchuanLoadSummary {
  events: number;
  rejected: number;
  loadSeconds: number;
  /** From the first post until the read models had every event. */
  totalSeconds: number;
  serviceInstances: number;
  /** What the read models counted before the load: the demo, or an earlier load, in the same data. */
  serviceInstancesBefore: number;
  expectedServiceInstances: number;
}

interface BatchResponse {
  results: Array<{
    status: number;
    code?: string;
    detail?: string;
    position?: string;
    eventId: string;
    replay?: boolean;
  }>;
}

/**
 * Loads the Yinchuan dataset through the real write path (the batch endpoint: decider, then event store).
 * Registrations go first with the admin key; then each organisation's events with its own agency key,
 * `concurrency` organisations at a time, each organisation's events strictly in order.
 */
export async function loadYinchuan(options: {
  post: Post;
  adminKey: string;
  seed?: number;
  scale?: number;
  /** Load only these organisations' own events (all registrations still go first). Default: all. */
  organisations?: string[];
  batchSize?: number;
  concurrency?: number;
  onProgress?: (progress: LoadProgress) => void;
  onRejected?: (envelope: Envelope, code: string, detail?: string) => void;
}): Promise<LoadResult> {
  const dataset = generateYinchuan({ seed: options.seed, scale: options.scale });
  const batchSize = options.batchSize ?? 500;
  const loaded = dataset.organisations.filter(
    (o) => !options.organisations || options.organisations.includes(o.organisationId),
  );
  const unknown = (options.organisations ?? []).filter(
    (id) => !dataset.organisations.some((o) => o.organisationId === id),
  );
  if (unknown.length > 0) {
    throw new Error(
      `no organisation ${unknown.join(', ')} in the Yinchuan dataset (ids look like ${dataset.organisations[0]?.organisationId})`,
    );
  }
  const totalEvents = dataset.registrations.length + countEvents(dataset, loaded);
  const progress: LoadProgress = { events: 0, totalEvents, rejected: 0, seconds: 0 };
  let lastPosition = 0n;
  let addedServiceInstances = 0;

  const started = performance.now();
  /**
   * Posts one batch. `tally` has met the organisation's events recorded so far, appended or
   * replayed, so that a void appended now takes its target's service instances back.
   */
  const send = async (events: Envelope[], key: string, tally?: (envelope: Envelope) => number) => {
    const response = await options.post('/v1/events/batch', { events }, key);
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(
        `batch refused with ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`,
      );
    }
    const { results } = response.body as BatchResponse;
    results.forEach((result, i) => {
      if (result.status >= 300) {
        progress.rejected++;
        options.onRejected?.(events[i]!, result.code ?? String(result.status), result.detail);
      } else {
        if (result.position !== undefined) {
          const position = BigInt(result.position);
          if (position > lastPosition) lastPosition = position;
        }
        const added = tally?.(events[i]!) ?? 0;
        if (!result.replay) addedServiceInstances += added;
      }
    });
    progress.events += events.length;
    progress.seconds = (performance.now() - started) / 1000;
    options.onProgress?.(progress);
  };

  // Registrations: organisations, then projects and workers, which name them.
  const organisations = dataset.registrations.filter((e) => e.type === 'OrganisationRegistered');
  const others = dataset.registrations.filter((e) => e.type !== 'OrganisationRegistered');
  for (const chunk of chunks(organisations, batchSize)) await send(chunk, options.adminKey);
  await Promise.all(
    splitInto(chunks(others, batchSize), options.concurrency ?? 4).map(async (lane) => {
      for (const chunk of lane) await send(chunk, options.adminKey);
    }),
  );

  const keys = new Map<string, string>();
  const issuedKeyIds: string[] = [];
  for (const org of loaded) {
    const response = await options.post(
      '/v1/admin/keys',
      { role: 'agency', organisationId: org.organisationId, label: `yinchuan loader ${org.organisationId}` },
      options.adminKey,
    );
    if (response.status !== 201)
      throw new Error(`could not issue a key for ${org.organisationId}: ${response.status}`);
    const issued = response.body as { keyId: string; key: string };
    keys.set(org.organisationId, issued.key);
    issuedKeyIds.push(issued.keyId);
  }

  const queue = loaded.map((o) => o.organisationId);
  const lanes = Array.from({ length: options.concurrency ?? 4 }, async () => {
    for (let organisationId = queue.shift(); organisationId; organisationId = queue.shift()) {
      const key = keys.get(organisationId)!;
      const tally = serviceInstanceTally();
      let batch: Envelope[] = [];
      for (const envelope of dataset.eventsFor(organisationId)) {
        batch.push(envelope);
        if (batch.length >= batchSize) {
          await send(batch, key, tally);
          batch = [];
        }
      }
      if (batch.length > 0) await send(batch, key, tally);
    }
  });
  await Promise.all(lanes);

  return {
    issuedKeyIds,
    events: progress.events,
    rejected: progress.rejected,
    seconds: (performance.now() - started) / 1000,
    firstPostAt: started,
    lastPosition,
    expectedServiceInstances: loaded.reduce((sum, o) => sum + (dataset.quotas.get(o.organisationId) ?? 0), 0),
    addedServiceInstances,
  };
}

function countEvents(dataset: YinchuanDataset, organisations: YinchuanDataset['organisations']): number {
  let n = 0;
  for (const org of organisations) for (const _ of dataset.eventsFor(org.organisationId)) n++;
  return n;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function splitInto<T>(items: T[], lanes: number): T[][] {
  const out: T[][] = Array.from({ length: lanes }, () => []);
  items.forEach((item, i) => {
    out[i % lanes]!.push(item);
  });
  return out;
}
