import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chainEvent,
  computeEventHash,
  fingerprintOf,
  LedgerDigester,
  prepareEvent,
  storedEventHash,
  verifyChain,
} from './hash-chain';
import type { RecordedEvent } from './port';
import { chainOf } from './testing/chain';

/** The reference implementation `canonicalJson` is held to. */
const referenceCanonicalJson = (value: unknown): string | undefined => canonicalize(value);

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('canonical JSON', () => {
  it('matches the canonicalize package on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('matches the canonicalize package on many objects of a few shapes, whatever their key order', () => {
    // Objects of one shape reuse its sorted keys: the same keys in another order, a skipped
    // (undefined) member or a key with a lone surrogate must still come out as the package writes them.
    const keys = fc.constantFrom('a', 'b', 'B', 'é', '\u20ac', '\ud83d\ude00', 'data', '10', '2', '\udc00');
    const member = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    const shaped = fc
      .uniqueArray(fc.tuple(keys, member), { selector: ([key]) => key, maxLength: 6 })
      .map((entries) => Object.fromEntries(entries));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(shaped, fc.array(shaped, { maxLength: 3 })), { maxLength: 20 }),
        (values) => {
          for (const value of values) {
            let expected: string | undefined;
            try {
              expected = referenceCanonicalJson(value);
            } catch {
              expect(() => canonicalJson(value)).toThrow('Lone surrogate');
              continue;
            }
            expect(canonicalJson(value)).toBe(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('matches the canonicalize package on strings of characters JSON escapes, or nearly does', () => {
    const awkward = fc.string({
      unit: fc.constantFrom(
        'a',
        '"',
        '\\',
        '/',
        '\u0000',
        '\n',
        '\u001f',
        '\u007f',
        '\u2028',
        'é',
        '😀',
        '\ud800',
        '\udc00',
      ),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.dictionary(awkward, fc.oneof(awkward, fc.array(awkward, { maxLength: 3 }))), (value) => {
        let expected: string | undefined;
        try {
          expected = referenceCanonicalJson(value);
        } catch {
          expect(() => canonicalJson(value)).toThrow('Lone surrogate');
          return;
        }
        expect(canonicalJson(value)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('orders keys by UTF-16 code units and writes numbers the ECMAScript way', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 0.1, -0, 'é'], '\u20ac': true, '\ud83d\ude00': null })).toBe(
      '{"a":[1e+21,0.1,0,"é"],"b":1,"€":true,"😀":null}',
    );
  });

  it('refuses NaN, Infinity and lone surrogates', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow('NaN');
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow('Infinity');
    expect(() => canonicalJson('a\ud800b')).toThrow('Lone surrogate');
    expect(() => canonicalJson({ '\udc00': 1 })).toThrow('Lone surrogate');
  });
});

describe('event hashing', () => {
  const arbitraryEvent = fc.record({
    eventId: fc.uuid(),
    type: fc.string({ minLength: 1 }),
    occurredAt: fc.string({ minLength: 1 }),
    data: fc.dictionary(fc.string(), fc.jsonValue()),
    metadata: fc.dictionary(fc.string(), fc.jsonValue()),
    source: fc.option(fc.record({ system: fc.string(), recordId: fc.string() }), { nil: undefined }),
  });

  it('assembles the same canonical text and hash as hashing the whole stored event', () => {
    fc.assert(
      fc.property(
        arbitraryEvent,
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 1e6 }),
        (event, streamId, version) => {
          const place = { version, recordedAt: '2026-11-26T00:00:00.000Z', prevHash: 'a'.repeat(64) };
          const { canonical, hash } = chainEvent(prepareEvent(streamId, event), place);
          const whole = {
            eventId: event.eventId,
            streamId,
            version,
            type: event.type,
            occurredAt: event.occurredAt,
            recordedAt: place.recordedAt,
            data: event.data,
            metadata: event.metadata,
            source: event.source ?? null,
            prevHash: place.prevHash,
          };
          expect(canonical).toBe(referenceCanonicalJson(whole));
          expect(hash).toBe(sha(place.prevHash + canonical));
          expect(hash).toBe(computeEventHash(whole));
          // What a store that keeps the canonical text checks its reads with.
          const read = { ...(JSON.parse(canonical) as typeof whole), position: 1n, hash };
          expect(storedEventHash(read, canonical)).toBe(hash);
          expect(fingerprintOf(streamId, event)).toBe(
            sha(
              referenceCanonicalJson({
                streamId,
                type: event.type,
                occurredAt: event.occurredAt,
                data: event.data,
                source: event.source ?? null,
              }) as string,
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('chains an event prepared after one sharing its metadata object as if it were prepared alone', () => {
    fc.assert(
      fc.property(arbitraryEvent, arbitraryEvent, (first, second) => {
        const metadata = first.metadata;
        const place = { version: 2, recordedAt: '2026-11-26T00:00:00.000Z', prevHash: 'b'.repeat(64) };
        const previous = prepareEvent('case-1', { ...first, metadata });
        const shared = prepareEvent('case-1', { ...second, metadata }, previous);
        expect(chainEvent(shared, place)).toEqual(
          chainEvent(prepareEvent('case-1', { ...second, metadata }), place),
        );
        // Another metadata object is serialised afresh, even after the same previous event.
        const own = prepareEvent('case-1', second, previous);
        expect(chainEvent(own, place)).toEqual(chainEvent(prepareEvent('case-1', second), place));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves metadata out of the fingerprint but not out of the hash', () => {
    const event = { eventId: 'e', type: 'T', occurredAt: 'now', data: { a: 1 } };
    expect(fingerprintOf('s', { ...event, metadata: { k: 1 } })).toBe(fingerprintOf('s', event));
    expect(fingerprintOf('s', { ...event, data: { a: 2 } })).not.toBe(fingerprintOf('s', event));
    expect(fingerprintOf('t', event)).not.toBe(fingerprintOf('s', event));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and returns its head', () => {
    const events = chainOf(3);
    expect(verifyChain(events, 'case-1')).toEqual({
      ok: true,
      streamId: 'case-1',
      events: 3,
      head: events[2]?.hash,
    });
  });

  it('names an altered event as a hash mismatch', () => {
    const events = chainOf(3);
    events[1] = { ...(events[1] as RecordedEvent), data: { n: 99 } };
    expect(verifyChain(events, 'case-1')).toEqual({
      ok: false,
      streamId: 'case-1',
      events: 3,
      brokenAt: 2,
      reason: 'hash_mismatch',
    });
  });

  it('names a rehashed event by the broken link after it', () => {
    const events = chainOf(3);
    const altered = { ...(events[1] as RecordedEvent), data: { n: 99 } };
    events[1] = { ...altered, hash: computeEventHash(altered) };
    expect(verifyChain(events, 'case-1')).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: 'prev_hash_mismatch',
    });
  });

  it('names a missing event as a version gap', () => {
    const events = chainOf(4);
    events.splice(2, 1);
    expect(verifyChain(events, 'case-1')).toMatchObject({ ok: false, brokenAt: 3, reason: 'version_gap' });
  });

  it('names an event of another stream as a hash mismatch', () => {
    const events = chainOf(2);
    expect(verifyChain(events, 'case-2')).toMatchObject({ ok: false, brokenAt: 1, reason: 'hash_mismatch' });
  });

  it('recomputes each hash with the hash function it is given, from the stored texts', () => {
    const events = chainOf(3);
    const texts: unknown[] = events.map(({ position: _p, hash: _h, ...hashed }) => canonicalJson(hashed));
    const fromTexts = (event: RecordedEvent, i: number) => storedEventHash(event, texts[i]);
    expect(verifyChain(events, 'case-1', fromTexts)).toEqual(verifyChain(events, 'case-1'));
    // The same JSON in another form (key order, spaces) or no text at all: hashed from the event.
    const parsed = JSON.parse(texts[1] as string) as Record<string, unknown>;
    texts[1] = JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse()), null, 1);
    texts[2] = parsed;
    expect(verifyChain(events, 'case-1', fromTexts)).toEqual(verifyChain(events, 'case-1'));
    // An event whose text was altered is read as altered.
    events[1] = { ...(events[1] as RecordedEvent), data: { n: 99 } };
    texts[1] = canonicalJson({ ...parsed, data: { n: 99 } });
    expect(verifyChain(events, 'case-1', fromTexts)).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: 'hash_mismatch',
    });
  });
});

describe('LedgerDigester', () => {
  it('digests position and hash lines in order', () => {
    const digester = new LedgerDigester();
    digester.add(5n, 'a');
    digester.add(9n, 'b');
    expect(digester.result()).toEqual({ events: 2, lastPosition: 9n, digest: sha('5:a\n9:b\n') });
  });

  it('refuses a position that does not increase', () => {
    const digester = new LedgerDigester();
    digester.add(5n, 'a');
    expect(() => digester.add(5n, 'b')).toThrow(RangeError);
  });

  it('digests an empty log as the hash of nothing', () => {
    expect(new LedgerDigester().result()).toEqual({ events: 0, lastPosition: 0n, digest: sha('') });
  });
});
