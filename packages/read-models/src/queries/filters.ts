import type { Service, TargetGroup } from '@fengcheng/domain';
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { regionPrefix, serviceBit, targetGroupBit } from '../dimensions';

/** What analysts narrow a query by. Days are China Standard Time, inclusive. */
export interface AnalystFilters {
  /** First day, `YYYY-MM-DD` CST, inclusive. */
  from?: string;
  /** Last day, `YYYY-MM-DD` CST, inclusive. */
  to?: string;
  /** A 4-, 6-, 9- or 12-digit region code or prefix. */
  region?: string;
  targetGroup?: TargetGroup;
  projectId?: string;
  organisationId?: string;
  service?: Service;
}

const TRUE: RawBuilder<SqlBool> = sql<SqlBool>`true`;

export function and(conditions: Array<RawBuilder<SqlBool> | undefined>): RawBuilder<SqlBool> {
  const present = conditions.filter((c): c is RawBuilder<SqlBool> => c !== undefined);
  if (present.length === 0) return TRUE;
  return sql<SqlBool>`(${sql.join(present, sql` and `)})`;
}

/** `column` lies within the period (a date column, compared as CST days). */
export function inPeriod(column: string, filters: AnalystFilters): RawBuilder<SqlBool> {
  return and([
    filters.from ? sql<SqlBool>`${sql.ref(column)} >= ${filters.from}::date` : undefined,
    filters.to ? sql<SqlBool>`${sql.ref(column)} <= ${filters.to}::date` : undefined,
  ]);
}

export function notAfterPeriod(column: string, filters: AnalystFilters): RawBuilder<SqlBool> {
  return filters.to ? sql<SqlBool>`${sql.ref(column)} <= ${filters.to}::date` : TRUE;
}

export function inRegion(column: string, region: string | undefined): RawBuilder<SqlBool> | undefined {
  if (!region) return undefined;
  const prefix = regionPrefix(region);
  if (!/^\d{1,12}$/.test(prefix)) throw new Error(`invalid region ${region}`);
  return sql<SqlBool>`${sql.ref(column)} like ${`${prefix}%`}`;
}

export function hasTargetGroup(
  column: string,
  group: TargetGroup | undefined,
): RawBuilder<SqlBool> | undefined {
  return group ? sql<SqlBool>`(${sql.ref(column)} & ${targetGroupBit(group)}) <> 0` : undefined;
}

export function hasService(column: string, service: Service | undefined): RawBuilder<SqlBool> | undefined {
  return service ? sql<SqlBool>`(${sql.ref(column)} & ${serviceBit(service)}) <> 0` : undefined;
}

/** `column` is one of `values` (one array parameter, however long the list). */
export function anyOf(
  column: string,
  values: readonly string[] | undefined,
): RawBuilder<SqlBool> | undefined {
  return values === undefined ? undefined : sql<SqlBool>`${sql.ref(column)} = any(${values}::text[])`;
}

/**
 * `column` is one of `values`, a long list matched against a small table: one hash join
 * with the unnested list, where `= any` had the planner estimate each element (8 ms for
 * a county's 1,250 workers, more than reading the table).
 */
export function amongMany(
  column: string,
  values: readonly string[] | undefined,
): RawBuilder<SqlBool> | undefined {
  return values === undefined
    ? undefined
    : sql<SqlBool>`${sql.ref(column)} in (select unnest(${values}::text[]))`;
}

export function equals(column: string, value: string | undefined): RawBuilder<SqlBool> | undefined {
  return value === undefined ? undefined : sql<SqlBool>`${sql.ref(column)} = ${value}`;
}

/** Numbers from aggregates: Postgres returns bigint and numeric as strings or bigints. */
export function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown, digits = 2): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  const scale = 10 ** digits;
  return Math.round(n * scale) / scale;
}

export type Condition = Expression<SqlBool>;
