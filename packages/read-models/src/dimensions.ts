import {
  levelOf,
  type RegionLevel,
  regionPath,
  SERVICES,
  type Service,
  TARGET_GROUPS,
  type TargetGroup,
} from '@fengcheng/domain';

const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

/** The China Standard Time (UTC+8) calendar day of an instant, whatever the server's zone. */
export function cstDay(instant: string | Date): string {
  // A UTC instant as `toISOString` writes it (every instant the projections keep) before
  // 16:00 is on the same day in CST: no date arithmetic needed.
  if (
    typeof instant === 'string' &&
    instant.length === 24 &&
    instant.charCodeAt(10) === 84 /* T */ &&
    instant.charCodeAt(23) === 90 /* Z */
  ) {
    const hour = (instant.charCodeAt(11) - 48) * 10 + (instant.charCodeAt(12) - 48);
    if (hour < 16) return instant.slice(0, 10);
  }
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 10);
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
const CST_SUFFIX = '+08:00';

/**
 * An instant as `toISOString` writes it (UTC, milliseconds, `Z`): how the projections keep and
 * compare instants. The commonest text in the log — China Standard Time to the second or the
 * millisecond, `YYYY-MM-DDTHH:mm:ss[.sss]+08:00` — is moved eight hours back by hand: through a
 * Date it cost 1.1 µs an event, 2.4 s of a 48 s rebuild of 10x Yinchuan, and this 0.15 µs.
 * Any other valid instant goes through a Date.
 */
export function utcInstant(at: string): string {
  const length = at.length;
  const millis = length === 29 && at.charCodeAt(19) === 46; // '.'
  const cst = (length === 25 || millis) && at.endsWith(CST_SUFFIX) && at.charCodeAt(10) === 84; // 'T'
  if (!cst) return new Date(at).toISOString();
  const digit = (i: number) => at.charCodeAt(i) - 48;
  const hour = digit(11) * 10 + digit(12) - 8;
  const rest = `:${at.slice(14, 19)}.${millis ? at.slice(20, 23) : '000'}Z`;
  if (hour >= 0) return `${at.slice(0, 11)}${TWO_DIGITS[hour]}${rest}`;
  // Before 08:00 CST: the day before in UTC.
  let year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  let month = digit(5) * 10 + digit(6);
  let day = digit(8) * 10 + digit(9) - 1;
  if (day === 0) {
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
    day = daysInMonth(year, month);
    if (year < 1) return new Date(at).toISOString();
  }
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour + 24]}${rest}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The CST day `days` before the given day (`YYYY-MM-DD`). */
export function dayMinus(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

// Sets of target groups and services are stored as bit masks: a fact row then has one
// count however many groups it serves, and filters are a bitwise test.
export function targetMask(groups: readonly string[]): number {
  let mask = 0;
  for (const group of groups) {
    const bit = TARGET_GROUPS.indexOf(group as TargetGroup);
    if (bit >= 0) mask |= 1 << bit;
  }
  return mask;
}

export function serviceMask(services: readonly string[]): number {
  let mask = 0;
  for (const service of services) {
    const bit = SERVICES.indexOf(service as Service);
    if (bit >= 0) mask |= 1 << bit;
  }
  return mask;
}

export function targetGroupsOf(mask: number): TargetGroup[] {
  return TARGET_GROUPS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

export function servicesOf(mask: number): Service[] {
  return SERVICES.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

export function targetGroupBit(group: TargetGroup): number {
  return 1 << TARGET_GROUPS.indexOf(group);
}

export function serviceBit(service: Service): number {
  return 1 << SERVICES.indexOf(service);
}

const LEVEL_DIGITS: Record<RegionLevel, number> = { city: 4, county: 6, township: 9, community: 12 };

/** The significant prefix of a region given as a 4/6/9/12-digit code (`640104000000` → `640104`). */
export function regionPrefix(region: string): string {
  return region.length === 12 ? region.slice(0, LEVEL_DIGITS[levelOf(region)]) : region;
}

const places = new Map<string, { county: string; township: string }>();

/**
 * A community's county and township prefixes (6 and 9 digits), made once per community: the
 * same string objects each time, so maps keyed by them need not hash them again. Bounded like
 * `regionCodesOf`'s cache.
 */
export function placeOf(communityCode: string): { county: string; township: string } {
  let place = places.get(communityCode);
  if (!place) {
    if (places.size >= 100_000) places.clear();
    place = {
      county: communityCode.slice(0, LEVEL_DIGITS.county),
      township: communityCode.slice(0, LEVEL_DIGITS.township),
    };
    places.set(communityCode, place);
  }
  return place;
}

const regionCodesCache = new Map<string, ReadonlyArray<{ code: string; level: RegionLevel }>>();

/** The distinct codes of the regions at each level that contain `code`, with their level. */
export function regionCodesOf(code: string): ReadonlyArray<{ code: string; level: RegionLevel }> {
  let codes = regionCodesCache.get(code);
  if (!codes) {
    codes = [...new Set(Object.values(regionPath(code)))].map((c) => ({ code: c, level: levelOf(c) }));
    // Community codes number in the thousands; the bound only guards against a flood of bad data.
    if (regionCodesCache.size > 100_000) regionCodesCache.clear();
    regionCodesCache.set(code, codes);
  }
  return codes;
}
