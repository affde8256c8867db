import type { EventStore } from '@fengcheng/event-store';
import type { KeyStore } from '@fengcheng/http';
import type { createProjector } from '@fengcheng/read-models';
import { getServiceInstances } from '@fengcheng/read-models';
import {
  type LoadProgress,
  loadYinchuan,
  type Post,
  type YinchuanLoadSummary,
} from '@fengcheng/scripts/yinchuan';
import type { FastifyInstance } from 'fastify';

/**
 * Loads the Yinchuan dataset into this process through its own HTTP routes (`inject`: the
 * same validation, auth, decider and store as a remote agency), then waits for the read models.
 * The keys it issues for itself are revoked when it is done. Loading twice appends nothing new:
 * the dataset's event ids are deterministic, so a second run is answered as replays.
 */
export async function loadYinchuanInto(
  {
    app,
    keys,
    projector,
    store,
  }: {
    app: FastifyInstance;
    keys: KeyStore;
    projector: ReturnType<typeof createProjector>;
    store: EventStore;
  },
  options: {
    scale: number;
    seed?: number;
    organisations?: string[];
    onProgress?: (progress: LoadProgress) => void;
  },
): Promise<YinchuanLoadSummary> {
  // The analyst total once the read models have reached `position`.
  const totalAt = async (position: bigint) => {
    await projector.waitFor(position, 30 * 60_000);
    return (await getServiceInstances(await projector.readModels(), {})).total;
  };
  // What the data folder held already (the demo, an earlier load), so the total can be told apart.
  const before = await totalAt(await store.headPosition());
  const admin = await keys.issue('admin', undefined, 'yinchuan loader');
  const post: Post = async (path, body, key) => {
    const response = await app.inject({
      method: 'POST',
      url: path,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: body as object,
    });
    return { status: response.statusCode, body: response.json() as unknown };
  };
  try {
    const result = await loadYinchuan({
      post,
      adminKey: admin.key,
      scale: options.scale,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.organisations ? { organisations: options.organisations } : {}),
      batchSize: 1000,
      // Eight organisations at a time keep PGlite's thread busier than four: 24.5, 24.8, 24.7 s
      // against 25.7, 26.6, 25.5 s for the whole load, alternated on 2 × Xeon (2026-11-29).
      concurrency: 8,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    for (const keyId of result.issuedKeyIds) await keys.revoke(keyId);
    const total = await totalAt(result.lastPosition);
    return {
      events: result.events,
      rejected: result.rejected,
      loadSeconds: result.seconds,
      totalSeconds: (performance.now() - result.firstPostAt) / 1000,
      serviceInstances: total,
      serviceInstancesBefore: before,
      expectedServiceInstances: result.expectedServiceInstances,
    };
  } finally {
    await keys.revoke(admin.keyId);
  }
}
