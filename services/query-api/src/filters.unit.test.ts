import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AnalystFilterQuery,
  analystFilters,
  analystQuery,
  PositionSchema,
  RegionPrefixSchema,
  WholeNumberQuery,
} from './filters';
import { toJsonSafe } from './json-safe';

describe('analyst filters', () => {
  it('reduces a region code to the prefix that names its level', () => {
    expect(RegionPrefixSchema.parse('6401')).toBe('6401');
    expect(RegionPrefixSchema.parse('640100000000')).toBe('6401');
    expect(RegionPrefixSchema.parse('640104')).toBe('640104');
    expect(RegionPrefixSchema.parse('640104000000')).toBe('640104');
    expect(RegionPrefixSchema.parse('640104010')).toBe('640104010');
    expect(RegionPrefixSchema.parse('640104010000')).toBe('640104010');
    expect(RegionPrefixSchema.parse('640104010004')).toBe('640104010004');
  });

  it('refuses codes of the wrong length or with no province', () => {
    expect(RegionPrefixSchema.safeParse('64010').success).toBe(false);
    expect(RegionPrefixSchema.safeParse('0000').success).toBe(false);
    expect(RegionPrefixSchema.safeParse('64a104').success).toBe(false);
  });

  it('parses positions as bigint without losing digits', () => {
    expect(PositionSchema.parse('9007199254740993')).toBe(9007199254740993n);
    expect(PositionSchema.safeParse('-1').success).toBe(false);
  });

  it('reads a whole number from its decimal digits only: an empty value is refused, not 0', () => {
    expect(WholeNumberQuery.parse('0')).toBe(0);
    expect(WholeNumberQuery.parse('12')).toBe(12);
    for (const odd of ['', ' ', '-1', '1.5', '0x1', '1e0', ' 1', '1234567890123456'])
      expect([odd, WholeNumberQuery.safeParse(odd).success]).toEqual([odd, false]);
  });

  it('refuses a misspelt filter instead of silently ignoring it', () => {
    const schema = z.strictObject(AnalystFilterQuery);
    expect(schema.safeParse({ regoin: '640104' }).success).toBe(false);
    expect(schema.safeParse({ targetGroup: 'pets' }).success).toBe(false);
    expect(schema.safeParse({ from: '2026-02-30' }).success).toBe(false);
  });

  it('refuses a period whose from is later than its to, naming both', () => {
    const result = analystQuery().safeParse({ from: '2026-03-10', to: '2026-03-01' });
    expect(result.error?.issues.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: ['from'], message: 'from 2026-03-10 is later than to 2026-03-01: the period holds no day' },
    ]);
    expect(analystQuery().safeParse({ from: '2026-03-01', to: '2026-03-01' }).success).toBe(true);
    expect(analystQuery({ groupBy: z.enum(['region']) }).safeParse({ groupBy: 'region' }).success).toBe(true);
  });

  it('hands the read models only the filters given', () => {
    const query = z
      .strictObject(AnalystFilterQuery)
      .parse({ region: '640104000000', service: 'tutoring', format: 'csv' });
    expect(analystFilters(query)).toEqual({ region: '640104', service: 'tutoring' });
  });
});

describe('toJsonSafe', () => {
  it('turns maps, sets, dates and bigints into plain JSON', () => {
    expect(
      toJsonSafe({
        at: new Date('2026-03-01T00:00:00Z'),
        position: 12n,
        refs: new Map([['r1', { state: 'accepted' }]]),
        tags: new Set(['a']),
        none: undefined,
      }),
    ).toEqual({
      at: '2026-03-01T00:00:00.000Z',
      position: '12',
      refs: { r1: { state: 'accepted' } },
      tags: ['a'],
    });
  });
});
