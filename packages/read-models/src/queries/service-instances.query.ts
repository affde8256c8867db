import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { servicesOf, targetGroupsOf } from '../dimensions';
import {
  type AnalystFilters,
  and,
  equals,
  hasService,
  hasTargetGroup,
  inPeriod,
  inRegion,
  num,
} from './filters';

export type ServiceInstanceGroupBy =
  | 'day'
  | 'month'
  | 'county'
  | 'township'
  | 'community'
  | 'targetGroup'
  | 'service'
  | 'project'
  | 'organisation';

export interface ServiceInstanceRow {
  key: string;
  serviceInstances: number;
}

/** Key of entries not attributed to a project or a service (e.g. a resource link without a project). */
export const UNATTRIBUTED = 'none';

export function serviceInstanceConditions(filters: AnalystFilters) {
  return and([
    inPeriod('day', filters),
    inRegion('community_code', filters.region),
    hasTargetGroup('target_mask', filters.targetGroup),
    hasService('service_mask', filters.service),
    equals('project_id', filters.projectId),
    equals('organisation_id', filters.organisationId),
  ]);
}

const KEY_SQL = {
  day: sql<string>`to_char(day, 'YYYY-MM-DD')`,
  month: sql<string>`to_char(day, 'YYYY-MM')`,
  county: sql<string>`rpad(left(community_code, 6), 12, '0')`,
  township: sql<string>`rpad(left(community_code, 9), 12, '0')`,
  community: sql<string>`community_code`,
  project: sql<string>`project_id`,
  organisation: sql<string>`organisation_id`,
} as const;

/**
 * Service instances (人次) in total and, optionally, grouped. Grouped by target group or
 * service, an entry that serves several counts under each, so rows may sum past the total.
 */
export async function getServiceInstances(
  db: Kysely<any>,
  filters: AnalystFilters & { groupBy?: ServiceInstanceGroupBy | undefined },
): Promise<{ total: number; rows: ServiceInstanceRow[] }> {
  const where = serviceInstanceConditions(filters);
  const base = db.selectFrom('counted_entry').where('voided', '=', false).where(where);
  const groupBy = filters.groupBy;

  if (groupBy === undefined) {
    const row = await base
      .select(sql<number>`coalesce(sum(service_instances), 0)::float8`.as('n'))
      .executeTakeFirst();
    return { total: num(row?.n), rows: [] };
  }

  if (groupBy === 'targetGroup' || groupBy === 'service') {
    const column = groupBy === 'targetGroup' ? 'target_mask' : 'service_mask';
    const masks = await base
      .select([sql.ref(column).as('mask'), sql<number>`sum(service_instances)::float8`.as('n')])
      .groupBy(column)
      .execute();
    const byKey = new Map<string, number>();
    let total = 0;
    for (const { mask, n } of masks) {
      const count = num(n);
      total += count;
      const keys = groupBy === 'targetGroup' ? targetGroupsOf(Number(mask)) : servicesOf(Number(mask));
      for (const key of keys.length ? keys : [UNATTRIBUTED]) byKey.set(key, (byKey.get(key) ?? 0) + count);
    }
    return { total, rows: toRows(byKey) };
  }

  const rows = await base
    .select([KEY_SQL[groupBy].as('key'), sql<number>`sum(service_instances)::float8`.as('n')])
    .groupBy(sql`1`)
    .execute();
  const byKey = new Map<string, number>();
  let total = 0;
  for (const { key, n } of rows) {
    const count = num(n);
    total += count;
    const k = key === '' ? UNATTRIBUTED : String(key);
    byKey.set(k, (byKey.get(k) ?? 0) + count);
  }
  return { total, rows: toRows(byKey) };
}

function toRows(byKey: Map<string, number>): ServiceInstanceRow[] {
  return [...byKey]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, serviceInstances]) => ({ key, serviceInstances }));
}
