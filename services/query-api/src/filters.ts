import { IdSchema, levelOf, normaliseRegionCode, SERVICES, TARGET_GROUPS } from '@fengcheng/domain';
import { SERVICE_INSTANCE_GROUPINGS } from '@fengcheng/read-models';
import { z } from 'zod';

const PREFIX_DIGITS = { city: 4, county: 6, township: 9, community: 12 } as const;

/**
 * A region as analysts type it (a 4-, 6-, 9- or 12-digit code) reduced to the prefix that
 * names it: `640104000000` and `640104` both mean 兴庆区 and both become `640104`.
 */
export const RegionPrefixSchema = z
  .string()
  .regex(/^\d{4}$|^\d{6}$|^\d{9}$|^\d{12}$/, 'a 4-, 6-, 9- or 12-digit region code')
  .transform((input, ctx) => {
    const code = normaliseRegionCode(input);
    if (!code) {
      ctx.addIssue({ code: 'custom', message: 'not a statistical division code' });
      return z.NEVER;
    }
    return code.slice(0, PREFIX_DIGITS[levelOf(code)]);
  });

/** A global position as a decimal string (bigint on the wire would lose digits as a JSON number). */
export const PositionSchema = z
  .string()
  .regex(/^\d{1,19}$/, 'a non-negative integer position')
  .transform((value) => BigInt(value));

/**
 * A whole number in a query string, as plain decimal digits: `z.coerce.number()` read
 * `version=` as 0 (and took `0x1` or `1e0`); an empty or odd value is a 400 instead.
 */
export const WholeNumberQuery = z
  .string()
  .regex(/^\d{1,15}$/, 'a non-negative integer in decimal digits')
  .transform(Number);

export const FormatSchema = z.enum(['json', 'csv']);

/** Read-your-writes: every query route takes it and waits for the projections to pass it. */
export const ConsistencyQuery = {
  minPosition: PositionSchema.optional().describe('wait (≤ 5 s) until the read models include this position'),
};

export const AnalystFilterQuery = {
  from: z.iso.date().optional().describe('first day, inclusive, China Standard Time'),
  to: z.iso.date().optional().describe('last day, inclusive, China Standard Time'),
  region: RegionPrefixSchema.optional().describe('city, county, township or community code'),
  targetGroup: z.enum(TARGET_GROUPS).optional(),
  projectId: IdSchema.optional(),
  organisationId: IdSchema.optional(),
  service: z.enum(SERVICES).optional(),
  format: FormatSchema.optional().describe(
    'csv for a spreadsheet; JSON by default (or send Accept: text/csv)',
  ),
  ...ConsistencyQuery,
};

/**
 * The query of an analyst route: the filters and the route's own fields, refused when it
 * names no period (`from` later than `to`) rather than answered with nothing.
 */
export function analystQuery<const Extra extends z.ZodRawShape = Record<never, never>>(
  extra: Extra = {} as Extra,
) {
  return z.strictObject({ ...AnalystFilterQuery, ...extra }).superRefine((query, context) => {
    // Generic over the route's own fields, zod cannot name these two for the compiler.
    const { from, to } = query as { from?: string | undefined; to?: string | undefined };
    if (from !== undefined && to !== undefined && from > to) {
      context.addIssue({
        code: 'custom',
        path: ['from'],
        message: `from ${from} is later than to ${to}: the period holds no day`,
      });
    }
  });
}

/** The groupings the service-instance query supports. */
export const GROUP_BY = SERVICE_INSTANCE_GROUPINGS;

/** The filters as the read-model queries take them: only the ones given, no transport fields. */
export function analystFilters(query: {
  from?: string | undefined;
  to?: string | undefined;
  region?: string | undefined;
  targetGroup?: (typeof TARGET_GROUPS)[number] | undefined;
  projectId?: string | undefined;
  organisationId?: string | undefined;
  service?: (typeof SERVICES)[number] | undefined;
}) {
  const filters: {
    from?: string;
    to?: string;
    region?: string;
    targetGroup?: (typeof TARGET_GROUPS)[number];
    projectId?: string;
    organisationId?: string;
    service?: (typeof SERVICES)[number];
  } = {};
  if (query.from !== undefined) filters.from = query.from;
  if (query.to !== undefined) filters.to = query.to;
  if (query.region !== undefined) filters.region = query.region;
  if (query.targetGroup !== undefined) filters.targetGroup = query.targetGroup;
  if (query.projectId !== undefined) filters.projectId = query.projectId;
  if (query.organisationId !== undefined) filters.organisationId = query.organisationId;
  if (query.service !== undefined) filters.service = query.service;
  return filters;
}
