import { describe, expect, it } from 'vitest';
import {
  type ClaimRecord,
  combine,
  eventIdIndexStream,
  isIndexStream,
  judgeClaim,
  parseClaim,
  sourceIndexStream,
} from './idempotency';
import type { DecodedEvent } from './metadata';

const now = new Date('2026-03-01T00:00:00.000Z');
const mine = { streamId: 'case-1', fingerprint: 'fp-a', appendId: 'append-mine' };

function claimRecord(overrides: Partial<ClaimRecord['claim']> = {}, ageMs = 60_000): ClaimRecord {
  return {
    claim: {
      streamId: 'case-1',
      revision: '4',
      eventId: 'e-1',
      fingerprint: 'fp-a',
      appendId: 'append-other',
      ...overrides,
    },
    indexRevision: 2n,
    createdAt: new Date(now.getTime() - ageMs),
  };
}

function stored(overrides: Partial<DecodedEvent> = {}): DecodedEvent {
  return {
    eventId: 'e-1',
    streamId: 'case-1',
    version: 5,
    position: 99n,
    type: 'VisitRecorded',
    occurredAt: '2026-03-01T08:00:00+08:00',
    recordedAt: '2026-03-01T00:00:00.000Z',
    data: {},
    metadata: {},
    source: null,
    prevHash: 'p',
    hash: 'h',
    fingerprint: 'fp-a',
    appendEnd: 5,
    ...overrides,
  };
}

describe('index stream names', () => {
  it('names an event id index after the id, and hashes ids that are not plain', () => {
    expect(eventIdIndexStream('5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f')).toBe(
      'fc-idx-event-5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f',
    );
    expect(eventIdIndexStream('a b')).toMatch(/^fc-idx-event-[0-9a-f]{64}$/);
  });

  it('cannot make two different source pairs collide through a separator', () => {
    expect(sourceIndexStream({ system: 'a-b', recordId: 'c' })).not.toBe(
      sourceIndexStream({ system: 'a', recordId: 'b-c' }),
    );
    expect(sourceIndexStream({ system: 'a', recordId: 'b' })).toBe(
      sourceIndexStream({ system: 'a', recordId: 'b' }),
    );
    expect(isIndexStream(sourceIndexStream({ system: 'a', recordId: 'b' }))).toBe(true);
    expect(isIndexStream('case-1')).toBe(false);
  });

  it('reads only well-formed claims', () => {
    expect(
      parseClaim({ streamId: 's', revision: '12', eventId: 'e', fingerprint: 'f', appendId: 'a' }),
    ).toEqual({
      streamId: 's',
      revision: '12',
      eventId: 'e',
      fingerprint: 'f',
      appendId: 'a',
    });
    expect(parseClaim({ streamId: 's', revision: '12', eventId: 'e', fingerprint: 'f' })).toBeNull();
    expect(parseClaim({ streamId: 's', revision: 12, eventId: 'e', fingerprint: 'f' })).toBeNull();
    expect(parseClaim({ streamId: 's', revision: '-1', eventId: 'e', fingerprint: 'f' })).toBeNull();
  });
});

describe('judging a claim', () => {
  it('finds a key nobody claimed free', () => {
    expect(judgeClaim(mine, null, null, now)).toEqual({ kind: 'free' });
  });

  it('calls the same stored event a duplicate', () => {
    const event = stored();
    expect(judgeClaim(mine, claimRecord(), event, now)).toEqual({ kind: 'duplicate', event });
  });

  it('calls a stored event with another body a conflict', () => {
    expect(judgeClaim(mine, claimRecord(), stored({ fingerprint: 'fp-b' }), now).kind).toBe('conflict');
  });

  it('calls the same body in another stream a conflict', () => {
    const judgement = judgeClaim(
      mine,
      claimRecord({ streamId: 'case-2' }),
      stored({ streamId: 'case-2' }),
      now,
    );
    expect(judgement).toEqual({
      kind: 'conflict',
      detail: 'already stored as event e-1 in case-2 at version 5 with a different body',
    });
  });

  it('treats a claim whose slot holds another event as left by a crash', () => {
    expect(judgeClaim(mine, claimRecord(), stored({ eventId: 'other' }), now)).toEqual({
      kind: 'stale',
      indexRevision: 2n,
    });
  });

  it('waits for an identical append still in flight rather than writing the event twice', () => {
    expect(judgeClaim(mine, claimRecord({}, 1_000), null, now)).toEqual({ kind: 'pending' });
  });

  it('takes over its own claim from a lost race at once', () => {
    expect(judgeClaim(mine, claimRecord({ appendId: 'append-mine' }, 0), null, now)).toEqual({
      kind: 'stale',
      indexRevision: 2n,
    });
  });

  it('takes over an identical claim left by a crash once it is old', () => {
    expect(judgeClaim(mine, claimRecord({}, 10_000), null, now)).toEqual({
      kind: 'stale',
      indexRevision: 2n,
    });
  });

  it('refuses a different body while another append of the key may still be in flight', () => {
    expect(judgeClaim(mine, claimRecord({ fingerprint: 'fp-b' }, 1_000), null, now).kind).toBe('conflict');
  });

  it('lets a different body take over an unfinished claim once it is old', () => {
    expect(judgeClaim(mine, claimRecord({ fingerprint: 'fp-b' }, 11_000), null, now)).toEqual({
      kind: 'stale',
      indexRevision: 2n,
    });
  });
});

describe('combining the keys of one event', () => {
  it('claims every key when none is taken, superseding stale claims', () => {
    expect(
      combine([
        { key: 'eventId', stream: 'fc-idx-event-e', judgement: { kind: 'free' } },
        { key: 'source', stream: 'fc-idx-source-x', judgement: { kind: 'stale', indexRevision: 3n } },
      ]),
    ).toEqual({
      kind: 'new',
      claims: [
        { stream: 'fc-idx-event-e', expected: 'no_stream' },
        { stream: 'fc-idx-source-x', expected: 3n },
      ],
    });
  });

  it('waits when any key is held by an identical append in flight', () => {
    expect(
      combine([
        { key: 'eventId', stream: 'a', judgement: { kind: 'free' } },
        { key: 'source', stream: 'b', judgement: { kind: 'pending' } },
      ]),
    ).toEqual({ kind: 'pending' });
  });

  it('reports a conflict on whichever key has one', () => {
    expect(
      combine([
        { key: 'eventId', stream: 'a', judgement: { kind: 'free' } },
        { key: 'source', stream: 'b', judgement: { kind: 'conflict', detail: 'taken' } },
      ]),
    ).toEqual({ kind: 'conflict', key: 'source', detail: 'taken' });
  });

  it('answers a re-sent source record with its stored event, even under a new event id', () => {
    const event = stored({ eventId: 'e-original' });
    expect(
      combine([
        { key: 'eventId', stream: 'a', judgement: { kind: 'free' } },
        { key: 'source', stream: 'b', judgement: { kind: 'duplicate', event } },
      ]),
    ).toEqual({ kind: 'duplicate', event });
  });

  it('refuses keys that point at two different stored events', () => {
    const outcome = combine([
      { key: 'eventId', stream: 'a', judgement: { kind: 'duplicate', event: stored({ eventId: 'e-1' }) } },
      { key: 'source', stream: 'b', judgement: { kind: 'duplicate', event: stored({ eventId: 'e-2' }) } },
    ]);
    expect(outcome.kind).toBe('conflict');
  });
});
