import { describe, expect, it } from 'vitest';
import { cstDay, utcInstant } from './dimensions';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('utcInstant', () => {
  it('writes every instant as toISOString does, China Standard Time by hand and any other offset through a Date', () => {
    const samples: string[] = [];
    // The hours before 08:00 CST on the first and last days of every month of leap and common
    // years (the day, month and year roll back), and a spread of other moments.
    for (const year of [1900, 1999, 2000, 2023, 2024, 2025, 2100]) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [1, 2, 28, 29, 30, 31]) {
          const date = new Date(Date.UTC(year, month - 1, day));
          if (date.getUTCMonth() !== month - 1) continue;
          for (const hour of [0, 7, 8, 15, 16, 23]) {
            const at = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad((hour * 7) % 60)}:${pad((day * 13) % 60)}`;
            samples.push(`${at}+08:00`, `${at}.${pad((hour * 37) % 1000, 3)}+08:00`, `${at}.5+08:00`);
            samples.push(`${at}Z`, `${at}-05:30`, `${at}+08:00`.replace('+08:00', '+09:00'));
          }
        }
      }
    }
    for (const at of samples) expect([at, utcInstant(at)]).toEqual([at, new Date(at).toISOString()]);
    expect(samples.length).toBeGreaterThan(10_000);
  });

  it('moves 2024-03-01 07:59:59 CST to the last day of February, and 2025-01-01 00:00 CST to the year before', () => {
    expect(utcInstant('2024-03-01T07:59:59+08:00')).toBe('2024-02-29T23:59:59.000Z');
    expect(utcInstant('2023-03-01T00:00:00.250+08:00')).toBe('2023-02-28T16:00:00.250Z');
    expect(utcInstant('2025-01-01T00:00:00+08:00')).toBe('2024-12-31T16:00:00.000Z');
    expect(cstDay(utcInstant('2025-01-01T00:00:00+08:00'))).toBe('2025-01-01');
  });
});
