import { createPostgresEventStore, type EventStore } from '@fengcheng/event-store';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendSyntheticLog } from '../bench/synthetic-log';
import { readModelsFor, readPointer } from '../projector/generation';
import { rebuildReadModels } from '../projector/rebuild';
import type { AnalystFilters } from './filters';
import { getRegionSummary } from './region-summary.query';
import {
  getServiceInstances,
  SERVICE_INSTANCE_GROUPINGS,
  type ServiceInstanceGroupBy,
} from './service-instances.query';

type Filters = AnalystFilters & { groupBy?: ServiceInstanceGroupBy };

/** The answer worked out from the per-entry ledger alone, as the queries did before the monthly sums. */
async function fromLedger(db: Kysely<any>, schema: string, filters: Filters) {
  const { rows } = await sql<{
    day: string;
    community_code: string;
    target_mask: number;
    service_mask: number;
    project_id: string;
    organisation_id: string;
    n: number;
  }>`
    select to_char(day, 'YYYY-MM-DD') as day, community_code, target_mask, service_mask, project_id, organisation_id,
      service_instances as n
    from ${sql.raw(schema)}.counted_entry where not voided`.execute(db);
  const { TARGET_GROUPS, SERVICES } = await import('@fengcheng/domain');
  const byKey = new Map<string, number>();
  let total = 0;
  for (const r of rows) {
    if (filters.from && r.day < filters.from) continue;
    if (filters.to && r.day > filters.to) continue;
    if (filters.region && !r.community_code.startsWith(filters.region)) continue;
    if (filters.targetGroup && !(r.target_mask & (1 << TARGET_GROUPS.indexOf(filters.targetGroup)))) continue;
    if (filters.service && !(r.service_mask & (1 << SERVICES.indexOf(filters.service)))) continue;
    if (filters.projectId !== undefined && r.project_id !== filters.projectId) continue;
    if (filters.organisationId !== undefined && r.organisation_id !== filters.organisationId) continue;
    total += r.n;
    const keys: string[] = (() => {
      switch (filters.groupBy) {
        case undefined:
          return [];
        case 'day':
          return [r.day];
        case 'month':
          return [r.day.slice(0, 7)];
        case 'county':
          return [r.community_code.slice(0, 6).padEnd(12, '0')];
        case 'township':
          return [r.community_code.slice(0, 9).padEnd(12, '0')];
        case 'community':
          return [r.community_code];
        case 'project':
          return [r.project_id || 'none'];
        case 'organisation':
          return [r.organisation_id || 'none'];
        case 'targetGroup': {
          const g = TARGET_GROUPS.filter((_, bit) => r.target_mask & (1 << bit));
          return g.length ? g : ['none'];
        }
        case 'service': {
          const s = SERVICES.filter((_, bit) => r.service_mask & (1 << bit));
          return s.length ? s : ['none'];
        }
      }
    })();
    for (const k of keys) byKey.set(k, (byKey.get(k) ?? 0) + r.n);
  }
  const sorted = [...byKey]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, serviceInstances]) => ({ key, serviceInstances }));
  return { total, rows: filters.groupBy ? sorted : [] };
}

const GROUPINGS: Array<ServiceInstanceGroupBy | undefined> = [undefined, ...SERVICE_INSTANCE_GROUPINGS];

const FILTERS: Filters[] = [
  {},
  { from: '2025-03-01', to: '2025-08-31' },
  { from: '2025-03-14', to: '2025-08-02' },
  { from: '2025-05-10', to: '2025-05-20' },
  { from: '2025-06-15' },
  { to: '2025-04-30' },
  { to: '2025-04-29' },
  { region: '640104' },
  { region: '640104003' },
  { region: '640104003007', from: '2025-02-01' },
  { targetGroup: 'elderly', from: '2025-01-31', to: '2025-12-01' },
  { service: 'counselling', region: '640181' },
  { organisationId: 'org-3' },
  { organisationId: 'org-3', region: '640104003', from: '2025-04-05' },
  { projectId: 'p-2', targetGroup: 'child' },
  { projectId: 'p-5', from: '2025-02-11' },
  { organisationId: 'org-7', from: '2025-03-10', to: '2025-07-20' },
];

describe('service instances from the monthly sums agree with the per-entry ledger', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let db: Kysely<any>;
  let schema: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    store = await createPostgresEventStore(database);
    await appendSyntheticLog(store, 3000, 7);
    await rebuildReadModels({
      store,
      database,
      logger: createLogger({ name: 'test', level: 'silent' }),
      dropDelayMs: 0,
    });
    db = await readModelsFor(database);
    schema = (await readPointer(database))!.schema;
  });
  afterAll(async () => {
    await store.close();
    const pointer = await readPointer(database);
    if (pointer) await sql.raw(`drop schema if exists ${pointer.schema} cascade`).execute(database.db);
    await database.drop();
  });

  it('has voided entries and entries on both sides of the month edges tested', async () => {
    const { rows } = await sql<{ voided: number; months: number }>`
      select count(*) filter (where voided)::int as voided, count(distinct date_trunc('month', day))::int as months
      from ${sql.raw(schema)}.counted_entry`.execute(database.db);
    expect(rows[0]!.voided).toBeGreaterThan(0);
    expect(rows[0]!.months).toBeGreaterThan(6);
  });

  it.each(FILTERS)('for every grouping, filtered by %o', async (filters) => {
    for (const groupBy of GROUPINGS) {
      const query = { ...filters, ...(groupBy ? { groupBy } : {}) };
      const expected = await fromLedger(database.db, schema, query);
      expect({ groupBy, ...(await getServiceInstances(db, query)) }).toEqual({ groupBy, ...expected });
    }
  });

  it('a filtered region summary counts the same service instances', async () => {
    const filters = { from: '2025-02-10', to: '2025-09-30', targetGroup: 'elderly' } as const;
    const summary = await getRegionSummary(db, '640104000000', filters);
    expect(summary?.serviceInstances).toBe(
      (await fromLedger(database.db, schema, { ...filters, region: '640104' })).total,
    );
  });
});
