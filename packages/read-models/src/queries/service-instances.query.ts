import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { regionPrefix, servicesOf, targetGroupsOf } from '../dimensions';
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

/** The ways service instances can be grouped; the HTTP schema and the tests take this list. */
export const SERVICE_INSTANCE_GROUPINGS = [
  'day',
  'month',
  'county',
  'township',
  'community',
  'targetGroup',
  'service',
  'project',
  'organisation',
] as const;

export type ServiceInstanceGroupBy = (typeof SERVICE_INSTANCE_GROUPINGS)[number];

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
 * Keys over `service_instance_county_monthly` and `service_instance_region_monthly` (townships),
 * and over `service_instance_monthly` (counties, by project and organisation).
 */
const COUNTY_MONTHLY_KEY_SQL = {
  month: sql<string>`to_char(month, 'YYYY-MM')`,
  county: sql<string>`rpad(county_code, 12, '0')`,
} as const;
const REGION_MONTHLY_KEY_SQL = {
  month: sql<string>`to_char(month, 'YYYY-MM')`,
  county: sql<string>`rpad(left(township_code, 6), 12, '0')`,
  township: sql<string>`rpad(township_code, 12, '0')`,
} as const;
const MONTHLY_KEY_SQL = {
  month: sql<string>`to_char(month, 'YYYY-MM')`,
  county: sql<string>`rpad(county_code, 12, '0')`,
  project: sql<string>`project_id`,
  organisation: sql<string>`organisation_id`,
} as const;

const MASK_COLUMN = { targetGroup: 'target_mask', service: 'service_mask' } as const;

type Grouping = Exclude<ServiceInstanceGroupBy, 'targetGroup' | 'service'>;

/** The whole months inside the period, as first days `[from, to]`; open ends stay open. */
function wholeMonths(filters: AnalystFilters): { from?: string; to?: string } {
  const months: { from?: string; to?: string } = {};
  if (filters.from) {
    const first = `${filters.from.slice(0, 8)}01`;
    months.from = first === filters.from ? first : addMonths(first, 1);
  }
  if (filters.to) {
    const first = `${filters.to.slice(0, 8)}01`;
    months.to = addMonths(first, 1) === dayAfter(filters.to) ? first : addMonths(first, -1);
  }
  return months;
}

function addMonths(firstDay: string, months: number): string {
  const date = new Date(`${firstDay}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Every filter an analyst can give: a filter added to AnalystFilters must be named here too. */
const FILTER_KEYS: Record<keyof AnalystFilters, true> = {
  from: true,
  to: true,
  region: true,
  targetGroup: true,
  projectId: true,
  organisationId: true,
  service: true,
};

function unfiltered(filters: AnalystFilters): boolean {
  return Object.keys(FILTER_KEYS).every((key) => filters[key as keyof AnalystFilters] === undefined);
}

/** Sums per key (a grouping key or a mask) of the standing entries that match the filters. */
async function sums(
  db: Kysely<any>,
  filters: AnalystFilters,
  groupBy: ServiceInstanceGroupBy | undefined,
): Promise<Array<{ key: unknown; n: unknown }>> {
  const keyOf = (keys: Partial<Record<Grouping, RawBuilder<string>>>) => {
    if (groupBy === undefined) return sql<string>`''`;
    if (groupBy === 'targetGroup' || groupBy === 'service')
      return sql<string>`${sql.ref(MASK_COLUMN[groupBy])}`;
    return keys[groupBy];
  };
  // Unfiltered, by project: each project's standing service instances are kept with its outcomes
  // (406 rows at Yinchuan scale, where the monthly sums hold a row per month, county, masks,
  // project and organisation); the rest of the total is what no project was given.
  if (groupBy === 'project' && unfiltered(filters)) {
    const [projects, total] = await Promise.all([
      db
        .selectFrom('project_outcome')
        .where('service_instances', '<>', 0)
        .select(['project_id as key', 'service_instances as n'])
        .execute(),
      sumServiceInstances(db, {}),
    ]);
    const rest = total - projects.reduce((t, row) => t + num(row.n), 0);
    return [...projects, { key: '', n: rest }];
  }
  const prefix = filters.region === undefined ? '' : regionPrefix(filters.region);
  const byProject =
    filters.projectId !== undefined ||
    filters.organisationId !== undefined ||
    groupBy === 'project' ||
    groupBy === 'organisation';
  const [table, region, monthlyKey] = byProject
    ? (['service_instance_monthly', 'county_code', keyOf(MONTHLY_KEY_SQL)] as const)
    : prefix.length <= 6 && groupBy !== 'township'
      ? (['service_instance_county_monthly', 'county_code', keyOf(COUNTY_MONTHLY_KEY_SQL)] as const)
      : (['service_instance_region_monthly', 'township_code', keyOf(REGION_MONTHLY_KEY_SQL)] as const);
  if (groupBy === 'day' && prefix === '' && !filters.targetGroup && !filters.service && !filters.projectId) {
    return db
      .selectFrom('service_instance_daily')
      .where(and([inPeriod('day', filters), equals('organisation_id', filters.organisationId)]))
      .select([KEY_SQL.day.as('key'), sql<number>`sum(service_instances)::float8`.as('n')])
      .groupBy(sql`1`)
      .execute() as Promise<Array<{ key: unknown; n: unknown }>>;
  }
  // The ledger alone answers what the monthly sums cannot: days, and regions finer than they keep.
  if (monthlyKey === undefined || prefix.length > (byProject ? 6 : 9))
    return ledgerSums(db, filters, keyOf(KEY_SQL)!);

  const months = wholeMonths(filters);
  const monthly = db
    .selectFrom(table)
    .where(
      and([
        months.from ? sql<SqlBool>`month >= ${months.from}::date` : undefined,
        months.to ? sql<SqlBool>`month <= ${months.to}::date` : undefined,
        inRegion(region, filters.region),
        hasTargetGroup('target_mask', filters.targetGroup),
        hasService('service_mask', filters.service),
        equals('project_id', filters.projectId),
        equals('organisation_id', filters.organisationId),
      ]),
    )
    .select([monthlyKey.as('key'), sql<number>`sum(service_instances)::float8`.as('n')])
    .groupBy(sql`1`)
    .execute() as Promise<Array<{ key: unknown; n: unknown }>>;

  // A period that starts or ends mid-month takes its edge days from the ledger.
  const edges: Array<RawBuilder<SqlBool>> = [];
  if (months.from && months.to && months.from > months.to) edges.push(sql<SqlBool>`true`);
  else {
    if (months.from && filters.from !== months.from) edges.push(sql<SqlBool>`day < ${months.from}::date`);
    if (months.to && filters.to && addMonths(months.to, 1) !== dayAfter(filters.to))
      edges.push(sql<SqlBool>`day >= ${addMonths(months.to, 1)}::date`);
  }
  const edge =
    edges.length === 0
      ? Promise.resolve([])
      : ledgerSums(db, filters, keyOf(KEY_SQL)!, sql<SqlBool>`(${sql.join(edges, sql` or `)})`);
  const [a, b] = await Promise.all([monthly, edge]);
  return [...a, ...b];
}

function ledgerSums(
  db: Kysely<any>,
  filters: AnalystFilters,
  key: RawBuilder<string>,
  extra?: RawBuilder<SqlBool>,
): Promise<Array<{ key: unknown; n: unknown }>> {
  return db
    .selectFrom('counted_entry')
    .where('voided', '=', false)
    .where(and([serviceInstanceConditions(filters), extra]))
    .select([key.as('key'), sql<number>`sum(service_instances)::float8`.as('n')])
    .groupBy(sql`1`)
    .execute();
}

/** Standing service instances matching the filters (what the unfiltered region row holds, narrowed). */
export async function sumServiceInstances(db: Kysely<any>, filters: AnalystFilters): Promise<number> {
  let total = 0;
  for (const { n } of await sums(db, filters, undefined)) total += num(n);
  return total;
}

/**
 * Service instances (人次) in total and, optionally, grouped. Grouped by target group or
 * service, an entry that serves several counts under each, so rows may sum past the total.
 * Read from the monthly sums; only days, communities and mid-month period edges need the ledger.
 */
export async function getServiceInstances(
  db: Kysely<any>,
  filters: AnalystFilters & { groupBy?: ServiceInstanceGroupBy | undefined },
): Promise<{ total: number; rows: ServiceInstanceRow[] }> {
  const groupBy = filters.groupBy;
  const rows = await sums(db, filters, groupBy);
  if (groupBy === undefined) return { total: rows.reduce((t, r) => t + num(r.n), 0), rows: [] };

  const byKey = new Map<string, number>();
  let total = 0;
  for (const { key, n } of rows) {
    const count = num(n);
    total += count;
    if (groupBy === 'targetGroup' || groupBy === 'service') {
      const keys = groupBy === 'targetGroup' ? targetGroupsOf(Number(key)) : servicesOf(Number(key));
      for (const k of keys.length ? keys : [UNATTRIBUTED]) byKey.set(k, (byKey.get(k) ?? 0) + count);
    } else {
      const k = key === '' ? UNATTRIBUTED : String(key);
      byKey.set(k, (byKey.get(k) ?? 0) + count);
    }
  }
  return { total, rows: toRows(byKey) };
}

function toRows(byKey: Map<string, number>): ServiceInstanceRow[] {
  return [...byKey]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, serviceInstances]) => ({ key, serviceInstances }));
}
