import { describe, expect, it } from 'vitest';
import { computeEventHash, GENESIS_HASH } from '../hash-chain';
import { decodeMetadata, decodeRecord, encodeMetadata } from './metadata';

const hashed = {
  eventId: '5f0c2b1e-8a44-4c1e-9a57-0d9c1b2a3e4f',
  streamId: 'case-5f0c2b1e',
  version: 1,
  type: 'VisitRecorded',
  occurredAt: '2026-03-01T09:00:00+08:00',
  recordedAt: '2026-03-01T01:00:02.000Z',
  data: { visitId: 'v1', durationMinutes: 45 },
  metadata: { organisationId: 'org-1', correlationId: 'c-1' },
  source: { system: 'caseapp', recordId: 'r-9' },
  prevHash: GENESIS_HASH,
};
const hash = computeEventHash(hashed);
const metadata = encodeMetadata({
  eventId: hashed.eventId,
  occurredAt: hashed.occurredAt,
  recordedAt: hashed.recordedAt,
  source: hashed.source,
  prevHash: hashed.prevHash,
  hash,
  fingerprint: 'f'.repeat(64),
  appendEnd: 1,
  metadata: hashed.metadata,
});

describe('record metadata', () => {
  it('survives the JSON round trip the server makes', () => {
    const back = decodeMetadata(JSON.parse(JSON.stringify(metadata)));
    expect(back).toEqual(metadata);
    expect(back?.fc).toBe(1);
  });

  it('rebuilds the recorded event whose hash still verifies', () => {
    const event = decodeRecord(
      { streamId: hashed.streamId, revision: 0n, type: hashed.type, data: hashed.data, metadata },
      4_194_305n,
    );
    expect(event).toEqual({
      ...hashed,
      position: 4_194_305n,
      hash,
      fingerprint: 'f'.repeat(64),
      appendEnd: 1,
    });
    const { position: _p, hash: stored, fingerprint: _f, appendEnd: _a, ...rest } = event!;
    expect(computeEventHash(rest)).toBe(stored);
  });

  it('detects a changed body through the hash', () => {
    const event = decodeRecord(
      {
        streamId: hashed.streamId,
        revision: 0n,
        type: hashed.type,
        data: { ...hashed.data, durationMinutes: 90 },
        metadata,
      },
      1n,
    )!;
    const { position: _p, hash: stored, fingerprint: _f, appendEnd: _a, ...rest } = event;
    expect(computeEventHash(rest)).not.toBe(stored);
  });

  it('does not take records written by others for ledger events', () => {
    expect(decodeMetadata(undefined)).toBeNull();
    expect(decodeMetadata({ $correlationId: 'x' })).toBeNull();
    expect(decodeMetadata({ ...metadata, hash: 42 })).toBeNull();
    expect(decodeMetadata({ ...metadata, source: { system: 'a' } })).toBeNull();
    expect(
      decodeRecord({ streamId: 's', revision: 0n, type: 't', data: new Uint8Array(2), metadata }, 1n),
    ).toBeNull();
  });
});
