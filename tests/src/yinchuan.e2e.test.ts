import { httpPost, loadYinchuan } from '@fengcheng/scripts/yinchuan';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';

/**
 * The Yinchuan generator through the real write path: every registration (86 organisations,
 * ~400 projects, 7,599 workers) and the whole event history of two township stations, over HTTP.
 * The full dataset is loaded by `npm start -- --yinchuan` (about 164,000 events); here a slice
 * keeps the suite short while still proving that every generated event passes the decider and
 * that the analyst total is exactly the generator's count.
 */
describe('the Yinchuan dataset', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('loads a slice with nothing rejected, and the analyst total is exactly its service instances', async () => {
    const rejected: string[] = [];
    const result = await loadYinchuan({
      post: httpPost(server.url),
      adminKey: server.adminKey,
      organisations: ['station-640105003', 'station-640181002'],
      batchSize: 1000,
      onRejected: (envelope, code, detail) => rejected.push(`${envelope.type} ${code} ${detail ?? ''}`),
    });
    expect(rejected).toEqual([]);
    expect(result.expectedServiceInstances).toBeGreaterThan(1000);

    const analyst = server.as(await server.issueKey('analyst'));
    const stats = await analyst.get(`/v1/stats/service-instances?minPosition=${result.lastPosition}`);
    expect(stats.status).toBe(200);
    expect(stats.body.total).toBe(result.expectedServiceInstances);
  }, 300_000);
});
