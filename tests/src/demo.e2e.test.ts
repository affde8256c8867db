import { DEMO_CASES, DEMO_ORGANISATIONS } from '@fengcheng/all-in-one';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';

/** What `npm start` serves on a first run: the demo from the article, loaded through HTTP. */
describe('the demo', () => {
  let server: TestServer;
  let minPosition: string;

  beforeAll(async () => {
    server = await startTestServer({ demo: true });
    minPosition = server.running.demo!.lastPosition.toString();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('loads on an empty ledger and counts 100 service instances by the counting rule', async () => {
    // 金凤区 9 visits; 兴庆区 12 + 3 visits and 2 resource links; group activities of 50 (灵武市) and 24 (西夏区).
    expect(server.running.demo!.events).toBe(75);
    const analyst = server.as(await server.issueKey('analyst'));
    const total = await analyst.get(`/v1/stats/service-instances?minPosition=${minPosition}`);
    expect(total.status).toBe(200);
    expect(total.body.total).toBe(100);
    const byCounty = await analyst.get(
      `/v1/stats/service-instances?groupBy=county&minPosition=${minPosition}`,
    );
    expect(byCounty.body.rows).toEqual([
      { key: '640104000000', serviceInstances: 17 },
      { key: '640105000000', serviceInstances: 24 },
      { key: '640106000000', serviceInstances: 9 },
      { key: '640181000000', serviceInstances: 50 },
    ]);
  });

  it('answers non-zero project outcomes, worker workloads and region summaries', async () => {
    const analyst = server.as(await server.issueKey('analyst'));
    const outcomes = await analyst.get(`/v1/projects/outcomes?minPosition=${minPosition}`);
    expect(outcomes.status).toBe(200);
    expect(outcomes.body.rows.length).toBe(5);
    const workloads = await analyst.get(`/v1/workers/workloads?minPosition=${minPosition}`);
    expect(workloads.status).toBe(200);
    expect(workloads.body.rows.length).toBe(13);
    const region = await analyst.get(`/v1/regions/6401/summary?minPosition=${minPosition}`);
    expect(region.status).toBe(200);
    expect(region.body.summary).toBeTruthy();
  });

  it("verifies a demo case's history and the whole ledger", async () => {
    const reviewer = server.as(await server.issueKey('reviewer'));
    for (const caseId of Object.values(DEMO_CASES)) {
      const history = await reviewer.get(`/v1/cases/${caseId}/history?purpose=demo%20check`);
      expect(history.status).toBe(200);
      expect(history.body.verification.ok).toBe(true);
      expect(history.body.events.length).toBeGreaterThan(10);
    }
    // The demo's events and one CaseRecordRead for each history read above.
    const expected = server.running.demo!.events + Object.keys(DEMO_CASES).length;
    const ledger = await verifiedLedger(reviewer, expected);
    expect(ledger.body.ok).toBe(true);
    expect(ledger.body.events).toBe(expected);
  });

  it('shows on /metrics, without a key, how far the read models reach and that the projector is not failing', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const gauge = (name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
    expect(gauge('fengcheng_projector_position')).toBeGreaterThanOrEqual(Number(minPosition));
    expect(gauge('fengcheng_event_log_head_position')).toBeGreaterThanOrEqual(Number(minPosition));
    expect(gauge('fengcheng_projector_failing_seconds')).toBe(0);
  });

  it('is not loaded again when the process restarts on the same data', async () => {
    const events = server.running.demo!.events;
    await server.restart({ demo: true });
    expect(server.running.demo).toBeUndefined();
    const reviewer = server.as(await server.issueKey('reviewer'));
    const ledger = await verifiedLedger(reviewer, events + Object.keys(DEMO_CASES).length);
    expect(ledger.body.events).toBe(events + Object.keys(DEMO_CASES).length);
    expect(DEMO_ORGANISATIONS.map((o) => o.name).join()).toContain('寸草心');
  });
});

/**
 * The ledger verification once it covers `events` events (or after 15 s, whatever it says then).
 * Readers see the log only below the oldest running writing transaction on the server, and
 * another session's may hold the last appends back for a moment (ADR 0001).
 */
async function verifiedLedger(reviewer: ReturnType<TestServer['as']>, events: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ledger = await reviewer.get('/v1/ledger/verify');
    if (ledger.body.events >= events || Date.now() > deadline) return ledger;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
