import type { RecordedEvent } from '@fengcheng/event-store';
import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEvents } from '../projections';
import { ensureReadModels, readModelsFor } from '../projector/generation';
import { EventLog } from '../test-support/event-log';
import { getWorkerWorkloads } from './worker-workloads.query';

const ORG = 'org-w';
const meta = { organisationId: ORG, keyId: 'k1' };

/** One worker with a case in each of two projects, regions and target groups, each visited. */
function twoCases(): EventLog {
  const log = new EventLog();
  log.register(ORG, { workers: ['w1'], projects: ['p-old', 'p-kid'] });
  const cases = [
    {
      caseId: '00000000-0000-4000-8000-00000000000a',
      projectId: 'p-old',
      community: '640104001001',
      group: 'elderly',
      visits: 1,
    },
    {
      caseId: '00000000-0000-4000-8000-00000000000b',
      projectId: 'p-kid',
      community: '640105001001',
      group: 'child',
      visits: 2,
    },
  ] as const;
  for (const c of cases) {
    log.add(
      `case-${c.caseId}`,
      'IntakeRecorded',
      '2026-03-01T09:00:00+08:00',
      {
        organisationId: ORG,
        workerId: 'w1',
        projectId: c.projectId,
        communityCode: c.community,
        targetGroups: [c.group],
        client: { clientRef: `client-${c.caseId.slice(-1)}` },
        needs: ['daily_living'],
        riskLevel: 'medium',
      },
      meta,
    );
    for (let i = 0; i < c.visits; i++) {
      log.add(
        `case-${c.caseId}`,
        'VisitRecorded',
        `2026-03-0${5 + i}T10:00:00+08:00`,
        {
          visitId: `${c.projectId}-v${i}`,
          workerId: 'w1',
          mode: 'home',
          durationMinutes: 30,
          services: ['daily_living'],
        },
        meta,
      );
    }
  }
  return log;
}

describe.each(reachableBackends())(
  'worker workloads narrowed by the cases in scope (embedded: $embedded)',
  ({ embedded }) => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    let schema: string;
    let db: Kysely<any>;

    beforeAll(async () => {
      database = await openTestDatabase({ forceEmbedded: embedded });
      schema = (await ensureReadModels(database)).schema;
      db = await readModelsFor(database);
      const events: RecordedEvent[] = twoCases().events;
      await database.db.transaction().execute((trx) => applyEvents(trx, schema, events));
    });
    afterAll(async () => {
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
      await database.drop();
    });

    it('counts only the visits of the cases a project, region or target group filter keeps', async () => {
      const now = new Date('2026-03-08T12:00:00+08:00');
      const figures = async (filters: Record<string, string>) => {
        const [w1] = await getWorkerWorkloads(db, { ...filters, now });
        return w1 && { active: w1.activeCases, v7: w1.visitsLast7Days, v30: w1.visitsLast30Days };
      };
      expect(await figures({})).toEqual({ active: 2, v7: 3, v30: 3 });
      expect(await figures({ organisationId: ORG })).toEqual({ active: 2, v7: 3, v30: 3 });
      expect(await figures({ projectId: 'p-old' })).toEqual({ active: 1, v7: 1, v30: 1 });
      expect(await figures({ projectId: 'p-kid' })).toEqual({ active: 1, v7: 2, v30: 2 });
      expect(await figures({ region: '640105' })).toEqual({ active: 1, v7: 2, v30: 2 });
      expect(await figures({ targetGroup: 'elderly', organisationId: ORG })).toEqual({
        active: 1,
        v7: 1,
        v30: 1,
      });
    });
  },
);
