/** The four levels of the service system, from widest to narrowest. */
export const REGION_LEVELS = ['city', 'county', 'township', 'community'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

const TWELVE_DIGITS = /^\d{12}$/;

/** True for a 12-digit statistical division code with a province part. */
export function isValidRegionCode(code: string): boolean {
  return TWELVE_DIGITS.test(code) && code.slice(0, 2) !== '00';
}

/** True for a village/community code (every level named). */
export function isValidCommunityCode(code: string): boolean {
  return (
    isValidRegionCode(code) &&
    code.slice(4, 6) !== '00' &&
    code.slice(6, 9) !== '000' &&
    code.slice(9, 12) !== '000'
  );
}

const LEVEL_DIGITS: Record<RegionLevel, number> = { city: 4, county: 6, township: 9, community: 12 };

/** The code of the region at `level` that contains `code` (its prefix, zero-padded to 12 digits). */
export function rollUp(code: string, level: RegionLevel): string {
  return code.slice(0, LEVEL_DIGITS[level]).padEnd(12, '0');
}

/** The code at each of the four levels. */
export function regionPath(code: string): Record<RegionLevel, string> {
  return {
    city: rollUp(code, 'city'),
    county: rollUp(code, 'county'),
    township: rollUp(code, 'township'),
    community: rollUp(code, 'community'),
  };
}

/** The narrowest level a code names: `640104000000` is a county, `640104001000` a township. */
export function levelOf(code: string): RegionLevel {
  if (code.slice(9, 12) !== '000') return 'community';
  if (code.slice(6, 9) !== '000') return 'township';
  if (code.slice(4, 6) !== '00') return 'county';
  return 'city';
}

/** Accepts a 4-, 6-, 9- or 12-digit prefix and returns its full 12-digit code, or null. */
export function normaliseRegionCode(input: string): string | null {
  if (!/^\d{4}$|^\d{6}$|^\d{9}$|^\d{12}$/.test(input)) return null;
  const code = input.padEnd(12, '0');
  return isValidRegionCode(code) ? code : null;
}

/** Yinchuan (银川市) and its six county-level areas, the service system this ledger was built for. */
export const YINCHUAN_CITY = { code: '640100000000', name: '银川市' } as const;
export const YINCHUAN_COUNTIES = [
  { code: '640104000000', name: '兴庆区' },
  { code: '640105000000', name: '西夏区' },
  { code: '640106000000', name: '金凤区' },
  { code: '640121000000', name: '永宁县' },
  { code: '640122000000', name: '贺兰县' },
  { code: '640181000000', name: '灵武市' },
] as const;

/** The name of Yinchuan or one of its county-level areas, for a code at that level; else null. */
export function yinchuanRegionName(code: string): string | null {
  if (code === YINCHUAN_CITY.code) return YINCHUAN_CITY.name;
  return YINCHUAN_COUNTIES.find((county) => county.code === code)?.name ?? null;
}
