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
