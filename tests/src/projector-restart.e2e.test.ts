import { randomUUID } from 'node:crypto';
import { createLogger } from '@fengcheng/platform';
import { rebuildReadModels } from '@fengcheng/read-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';
import { buildWorld, daysAgo, envelope, type World } from './support/world';

const CASES = 30;

/**
 * The projector is stopped in the middle of catching up, restarted, and must end where a
 * rebuild from zero ends: nothing counted twice, nothing lost.
 */
describe('projector stopped mid-way and restarted', () => {
  let server: TestServer;
  let world: World;
  let head = 0n;

  beforeAll(async () => {
    server = await startTestServer({ projectorBatchSize: 20 });
    world = await buildWorld(server);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** Everything an analyst can ask, as the HTTP API answers it now. */
  const snapshot = async () => {
    const minPosition = head.toString();
    const paths = [
      '/v1/stats/service-instances?groupBy=community',
      '/v1/stats/service-instances?groupBy=day',
      '/v1/stats/service-instances?groupBy=targetGroup',
      '/v1/stats/service-instances?groupBy=service',
      '/v1/stats/service-instances?groupBy=organisation',
      '/v1/projects/outcomes',
      '/v1/workers/workloads',
      '/v1/regions/640104/summary',
      '/v1/regions/640104010004/summary',
    ];
    const answers: Record<string, unknown> = {};
    for (const path of paths) {
      const separator = path.includes('?') ? '&' : '?';
      const response = await world.analyst.get(`${path}${separator}minPosition=${minPosition}`);
      expect(response.status, path).toBe(200);
      // Workloads say when they were reckoned; that moment is not a read-model difference.
      const { now: _reckonedAt, ...body } = response.body;
      answers[path] = body;
    }
    return answers;
  };

  it('ends with the same read models as a rebuild from zero', async () => {
    const { projector } = server.running;
    await projector.stop();

    // While the projector is down, agency A records 30 case lives in batches.
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < CASES; i++) {
      const caseId = randomUUID();
      const community = `64010401000${(i % 5) + 1}`;
      events.push(
        envelope(
          'IntakeRecorded',
          {
            organisationId: world.ids.orgA,
            workerId: world.ids.workerA,
            projectId: world.ids.projectP,
            communityCode: community,
            targetGroups: i % 2 ? ['elderly'] : ['child', 'disabled'],
            client: { clientRef: `rc-${i}` },
            needs: ['daily_living'],
            riskLevel: (['low', 'medium', 'high'] as const)[i % 3],
          },
          { caseId, occurredAt: daysAgo(40 - i) },
        ),
      );
      for (let v = 0; v < 4; v++) {
        events.push(
          envelope(
            'VisitRecorded',
            {
              visitId: `v${v}`,
              workerId: world.ids.workerA,
              mode: 'home',
              durationMinutes: 30,
              services: v % 2 ? ['health'] : ['daily_living', 'counselling'],
            },
            { caseId, occurredAt: daysAgo(9 - i / 10 - v * 2) },
          ),
        );
      }
      events.push(
        envelope(
          'ResourceLinked',
          { resourceType: 'material', description: '食用油', provider: '慈善总会', valueYuan: 80 },
          { caseId, occurredAt: daysAgo(0.5) },
        ),
      );
      if (i % 3 === 0) {
        events.push(
          envelope(
            'CaseClosed',
            { reason: 'moved', goalAttainment: 0 },
            { caseId, occurredAt: daysAgo(0.2) },
          ),
        );
      }
    }
    const positions: bigint[] = [];
    for (let from = 0; from < events.length; from += 100) {
      const response = await world.agencyA.post('/v1/events/batch', {
        events: events.slice(from, from + 100),
      });
      expect(response.status).toBe(200);
      for (const result of response.body.results) {
        expect(result.status, JSON.stringify(result)).toBe(201);
        positions.push(BigInt(result.position));
      }
    }

    positions.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    head = positions.at(-1)!;

    // Start, and stop again once about a third is projected. (Waiting on the projector rather
    // than polling a timer: on PGlite the catch-up runs without ever yielding to timers.)
    await projector.start();
    expect(await projector.waitFor(positions[Math.floor(positions.length / 3)]!, 20_000)).toBe(true);
    await projector.stop();
    const stoppedAt = projector.position;
    expect(stoppedAt).toBeLessThan(head);

    // A restart of the whole process picks up from the checkpoint.
    await server.restart();
    const live = await snapshot();

    await rebuildReadModels({
      store: server.running.store,
      database: server.running.database,
      logger: createLogger({ name: 'e2e-rebuild', level: 'silent' }),
      dropDelayMs: 200,
    });
    const rebuilt = await snapshot();
    expect(rebuilt).toEqual(live);
    const total = live['/v1/stats/service-instances?groupBy=community'] as { total: number };
    expect(total.total).toBe(CASES * 5);
  }, 120_000);
});
