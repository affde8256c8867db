import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReadModels, readModelsFor } from '../projector/generation';
import { getProjectOutcomes } from '../queries/project-outcomes.query';
import { getRegionSummary } from '../queries/region-summary.query';
import { EventLog } from '../test-support/event-log';
import { applyEvents } from '.';

const ORG = 'org-big';
const meta = { organisationId: ORG, keyId: 'k1' };
const COMMUNITY = '640104001001';
/** Just under 2^31: the next activity's 100,000 attendees took an integer sum past it. */
const NEAR_LIMIT = 2 ** 31 - 50_000;
/** The tables that sum service instances over many events. */
const SUMMED = [
  'service_instance_monthly',
  'service_instance_daily',
  'service_instance_region_monthly',
  'service_instance_county_monthly',
  'region_summary',
  'project_outcome',
];

function activity(log: EventLog, n: number) {
  return log.add(
    `activity-big-${n}`,
    'GroupActivityRecorded',
    '2026-03-20T10:00:00+08:00',
    {
      activityId: `big-${n}`,
      projectId: 'p-big',
      workerIds: ['w1'],
      communityCode: COMMUNITY,
      attendees: 100_000,
      targetGroups: ['elderly'],
      services: ['recreation'],
    },
    meta,
  );
}

describe.each(reachableBackends())(
  'sums of service instances past 2^31 (embedded: $embedded)',
  ({ embedded }) => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    let schema: string;
    let db: Kysely<any>;
    const log = new EventLog();

    beforeAll(async () => {
      database = await openTestDatabase({ forceEmbedded: embedded });
      schema = (await ensureReadModels(database)).schema;
      db = await readModelsFor(database);
      log.register(ORG, { workers: ['w1'], projects: ['p-big'] });
      activity(log, 1);
      await database.db.transaction().execute((trx) => applyEvents(trx, schema, log.events));
    });
    afterAll(async () => {
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
      await database.drop();
    });

    it('keeps projecting, and answers the sums exactly, when a sum passes 2^31', async () => {
      // As if 21,474 more such activities had been projected: every summed row near the limit.
      for (const table of SUMMED) {
        await sql.raw(`update ${schema}.${table} set service_instances = ${NEAR_LIMIT}`).execute(database.db);
      }
      const mark = log.events.length;
      activity(log, 2);
      await database.db.transaction().execute((trx) => applyEvents(trx, schema, log.since(mark)));
      const expected = NEAR_LIMIT + 100_000;
      expect(expected).toBeGreaterThan(2 ** 31);
      for (const table of SUMMED) {
        const { rows } = await sql<{
          n: unknown;
        }>`select service_instances as n from ${sql.table(`${schema}.${table}`)}`.execute(database.db);
        // region_summary holds a row for each of the community's four levels.
        expect(new Set(rows.map((row) => Number(row.n))), table).toEqual(new Set([expected]));
      }
      expect((await getRegionSummary(db, '640104001001', {}))?.serviceInstances).toBe(expected);
      const [outcome] = await getProjectOutcomes(db, {});
      expect(outcome?.serviceInstances).toBe(expected);
    });
  },
);
