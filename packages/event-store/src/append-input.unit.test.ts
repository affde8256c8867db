import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkedEvents, checkedExpectedVersion, eventIdOf } from './append-input';
import type { ExpectedVersion, NewEvent } from './port';

const event = (eventId: string): NewEvent => ({
  eventId,
  type: 'VisitRecorded',
  occurredAt: '2026-11-20T09:30:00+08:00',
  data: {},
});

describe('append input', () => {
  it('keeps an eventId in lower case, whatever case it came in', () => {
    expect(eventIdOf('5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f')).toBe('5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f');
    expect(eventIdOf('5F0C2B1E-8A44-4C1E-9A57-0D9C1B2A3E4F')).toBe('5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f');
  });

  it('refuses an eventId that is not a UUID, naming it', () => {
    expect(() => eventIdOf('visit-1')).toThrow(new TypeError('eventId must be a UUID: visit-1'));
    expect(() => eventIdOf('5f0c2b1e8a444c1e9a570d9c1b2a3e4f')).toThrow(TypeError);
    expect(() => eventIdOf(42)).toThrow(/UUID: 42/);
    expect(() => checkedEvents([event(randomUUID()), event('visit-1')])).toThrow(/UUID: visit-1/);
  });

  it('answers the same array when every eventId is in lower case already', () => {
    const events = [event(randomUUID()), event(randomUUID())];
    expect(checkedEvents(events)).toBe(events);
  });

  it('lower-cases an upper-case eventId in a copy, leaving the caller its own events', () => {
    const upper = randomUUID().toUpperCase();
    const events = [event(randomUUID()), event(upper)];
    const checked = checkedEvents(events);
    expect(checked[1]).toEqual({ ...events[1], eventId: upper.toLowerCase() });
    expect(checked[0]).toBe(events[0]);
    expect(events[1]?.eventId).toBe(upper);
  });

  it('refuses one eventId twice, in either case', () => {
    const id = randomUUID();
    expect(() => checkedEvents([event(id), event(id)])).toThrow(/appears twice/);
    expect(() => checkedEvents([event(id), event(id.toUpperCase())])).toThrow(
      new RangeError(`eventId ${id} appears twice in one append`),
    );
  });

  it('refuses one source record twice, naming it', () => {
    const source = { system: 'cms', recordId: 'r-1' };
    expect(() =>
      checkedEvents([
        { ...event(randomUUID()), source },
        { ...event(randomUUID()), source: { ...source } },
      ]),
    ).toThrow(new RangeError('source record cms/r-1 appears twice in one append'));
    expect(
      checkedEvents([
        { ...event(randomUUID()), source },
        { ...event(randomUUID()), source: { system: 'cms', recordId: 'r-2' } },
        { ...event(randomUUID()), source: { system: 'cms-r', recordId: '1' } },
      ]),
    ).toHaveLength(3);
  });

  it("takes a whole number from 0 or one of the three words as an expected version, 'any' by default", () => {
    for (const expected of [0, 1, 250, 'any', 'no_stream', 'stream_exists'] as const) {
      expect(checkedExpectedVersion(expected)).toBe(expected);
    }
    expect(checkedExpectedVersion(undefined)).toBe('any');
  });

  it('refuses any other expected version with a RangeError naming it', () => {
    for (const expected of [
      -1,
      -2,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      'bogus',
      'ANY',
      '1',
    ]) {
      expect(() => checkedExpectedVersion(expected as ExpectedVersion)).toThrow(RangeError);
    }
    expect(() => checkedExpectedVersion(-1)).toThrow(/expectedVersion .* not -1$/);
  });
});
