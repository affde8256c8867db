import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePosition,
  encodePosition,
  expectedRevisionOf,
  MAX_PREPARE_OFFSET,
  revisionOfVersion,
  satisfies,
  versionOfCurrentRevision,
  versionOfRevision,
} from './positions';

describe('revision and version', () => {
  it('maps revision 0 to version 1 and back', () => {
    expect(versionOfRevision(0n)).toBe(1);
    expect(revisionOfVersion(1)).toBe(0n);
    expect(versionOfRevision(41n)).toBe(42);
    expect(revisionOfVersion(42)).toBe(41n);
  });

  it('gives a stream that does not exist version 0', () => {
    expect(versionOfCurrentRevision(NO_STREAM)).toBe(0);
    expect(versionOfCurrentRevision(6n)).toBe(7);
  });

  it('refuses versions that name no event', () => {
    expect(() => revisionOfVersion(0)).toThrow(RangeError);
    expect(() => revisionOfVersion(1.5)).toThrow(RangeError);
    expect(() => versionOfRevision(-1n)).toThrow(RangeError);
    expect(() => versionOfRevision(BigInt(Number.MAX_SAFE_INTEGER))).toThrow(RangeError);
  });

  it('maps expected versions to expected revisions', () => {
    expect(expectedRevisionOf('any')).toBe(ANY);
    expect(expectedRevisionOf('no_stream')).toBe(NO_STREAM);
    expect(expectedRevisionOf('stream_exists')).toBe(STREAM_EXISTS);
    expect(expectedRevisionOf(0)).toBe(NO_STREAM);
    expect(expectedRevisionOf(1)).toBe(0n);
    expect(expectedRevisionOf(10)).toBe(9n);
    expect(() => expectedRevisionOf(-1)).toThrow(RangeError);
  });

  it('checks an expectation against the current version as the port defines it', () => {
    expect(satisfies('any', 0)).toBe(true);
    expect(satisfies('no_stream', 0)).toBe(true);
    expect(satisfies('no_stream', 1)).toBe(false);
    expect(satisfies('stream_exists', 0)).toBe(false);
    expect(satisfies('stream_exists', 3)).toBe(true);
    expect(satisfies(0, 0)).toBe(true);
    expect(satisfies(3, 3)).toBe(true);
    expect(satisfies(2, 3)).toBe(false);
  });
});

describe('position encoding', () => {
  it('keeps 0n for "before the first event"', () => {
    expect(decodePosition(0n)).toBeNull();
    expect(encodePosition({ commit: 0n, prepare: 0n })).toBe(1n);
  });

  it('round-trips commit and prepare as bigints', () => {
    const position = { commit: 123_456_789n, prepare: 123_457_001n };
    const encoded = encodePosition(position);
    expect(typeof encoded).toBe('bigint');
    expect(encoded).toBe(((123_456_789n << 22n) | 212n) + 1n);
    expect(decodePosition(encoded)).toEqual(position);
  });

  it('stays exact beyond Number.MAX_SAFE_INTEGER', () => {
    const position = { commit: 2n ** 40n + 7n, prepare: 2n ** 40n + 7n + 4_000n };
    const encoded = encodePosition(position);
    expect(encoded > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(decodePosition(encoded)).toEqual(position);
  });

  it('orders two events of one append by prepare position, after the earlier append', () => {
    const earlier = encodePosition({ commit: 1_000n, prepare: 1_000n });
    const first = encodePosition({ commit: 2_000n, prepare: 2_000n });
    const second = encodePosition({ commit: 2_000n, prepare: 2_180n });
    const later = encodePosition({ commit: 2_360n, prepare: 2_360n });
    expect([later, second, earlier, first].sort((a, b) => (a < b ? -1 : 1))).toEqual([
      earlier,
      first,
      second,
      later,
    ]);
  });

  it('orders every pair of positions as EventStoreDB orders (commit, prepare)', () => {
    const position = fc
      .tuple(fc.bigInt({ min: 0n, max: 2n ** 41n }), fc.bigInt({ min: 0n, max: MAX_PREPARE_OFFSET }))
      .map(([commit, offset]) => ({ commit, prepare: commit + offset }));
    fc.assert(
      fc.property(position, position, (a, b) => {
        const lexical =
          a.commit === b.commit ? Math.sign(Number(a.prepare - b.prepare)) : a.commit < b.commit ? -1 : 1;
        const ea = encodePosition(a);
        const eb = encodePosition(b);
        const encoded = ea === eb ? 0 : ea < eb ? -1 : 1;
        return encoded === lexical && decodePosition(ea)?.prepare === a.prepare;
      }),
    );
  });

  it('refuses positions it could not order faithfully', () => {
    expect(() => encodePosition({ commit: 10n, prepare: 9n })).toThrow(RangeError);
    expect(() => encodePosition({ commit: 10n, prepare: 10n + MAX_PREPARE_OFFSET + 1n })).toThrow(RangeError);
    expect(() => encodePosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toThrow(
      /no usable commit/,
    );
    expect(() => decodePosition(-1n)).toThrow(RangeError);
  });
});
