import { describe, expect, it } from 'vitest';
import {
  EnvelopeSchema,
  EVENT_TYPES,
  type EventData,
  type EventType,
  isCaseEventType,
  parseEnvelope,
} from './events';
import { streamIdFor } from './streams';
import {
  CASE_ID,
  closeData,
  intakeData,
  referralData,
  resourceData,
  uuid,
  visitData,
} from './testing/fixtures';

/** One valid data sample per event type: the type makes a new event type fail to compile here. */
const SAMPLES: { [T in EventType]: EventData<T> } = {
  IntakeRecorded: intakeData({
    client: { clientRef: 'c-1', name: '张桂兰', idNumber: '64010419900101123X' },
  }),
  ConsentRecorded: { scope: 'services', signatory: 'client', expiresOn: '2027-01-01' },
  ConsentWithdrawn: { scope: 'services', signatory: 'client' },
  AssessmentRecorded: { workerId: 'w-a1', scores: { health: 7, social: 3.5 }, riskLevel: 'high' },
  CasePlanRecorded: {
    goals: [{ goalId: 'g1', need: 'health', description: 'walks daily' }],
    approvedBy: 'sup-a',
  },
  VisitRecorded: visitData({ notes: 'tired today' }),
  ReferralMade: referralData(),
  ReferralAccepted: { referralId: 'r-1' },
  ReferralDeclined: { referralId: 'r-1', reason: 'full' },
  ReferralCompleted: { referralId: 'r-1', outcome: 'done' },
  ReferralCancelled: { referralId: 'r-1' },
  ResourceLinked: resourceData(),
  CaseTransferred: { toWorkerId: 'w-b1', toOrganisationId: 'org-b' },
  CaseClosed: closeData(),
  CaseReopened: { reason: 'relapse' },
  EntryVoided: { targetEventId: uuid(9), reason: 'mistake' },
  OrganisationRegistered: { organisationId: 'org-c', name: '春熙', kind: 'hub', regionCode: '640105000000' },
  WorkerRegistered: { workerId: 'w-1', organisationId: 'org-c', certification: 'senior', role: 'supervisor' },
  WorkerCertified: { workerId: 'w-1', certification: 'junior' },
  ProjectRegistered: {
    projectId: 'p-1',
    organisationId: 'org-c',
    name: '童心向阳',
    brand: '童心向阳',
    fundingSource: 'charity',
  },
  GroupActivityRecorded: {
    activityId: 'act-1',
    projectId: 'p-1',
    workerIds: ['w-1'],
    communityCode: '640105001002',
    attendees: 25,
    targetGroups: ['child'],
    services: ['tutoring'],
  },
  SupervisionRecorded: { supervisorId: 'w-1', superviseeId: 'w-2', minutes: 45 },
  PersonalDataErased: { organisationId: 'org-c', clientRef: 'c-1', legalBasis: 'client request' },
};

const envelope = (type: EventType, extra: Record<string, unknown> = {}) => ({
  eventId: uuid(1),
  type,
  ...(isCaseEventType(type) ? { caseId: CASE_ID } : {}),
  occurredAt: '2026-03-01T09:00:00+08:00',
  data: SAMPLES[type],
  ...extra,
});

describe('parseEnvelope', () => {
  it('accepts a valid envelope of every event type in the contract', () => {
    for (const type of EVENT_TYPES) {
      const result = parseEnvelope(envelope(type));
      expect(result.success, type).toBe(true);
      if (result.success) expect(result.envelope.type).toBe(type);
    }
  });

  it('has one union member per event type, so a new type is parsed without touching the union', () => {
    expect(EnvelopeSchema.options).toHaveLength(EVENT_TYPES.length);
    expect(EVENT_TYPES).toHaveLength(23);
  });

  it('names an unknown type', () => {
    const result = parseEnvelope({ ...envelope('VisitRecorded'), type: 'VisitDeleted' });
    expect(result).toEqual({
      success: false,
      unknownType: 'VisitDeleted',
      issues: [{ path: 'type', message: 'unknown event type VisitDeleted' }],
    });
  });

  it('refuses a case event without a caseId', () => {
    const { caseId: _, ...noCase } = envelope('VisitRecorded');
    expect(parseEnvelope(noCase)).toEqual({
      success: false,
      issues: [{ path: 'caseId', message: 'VisitRecorded needs a caseId' }],
    });
  });

  it('refuses a caseId on a non-case event', () => {
    expect(parseEnvelope(envelope('WorkerRegistered', { caseId: CASE_ID }))).toEqual({
      success: false,
      issues: [{ path: 'caseId', message: 'WorkerRegistered is not a case event' }],
    });
  });

  it('routes an activity void without a caseId and refuses one with both', () => {
    const data = { targetEventId: uuid(9), reason: 'twice', activityId: 'act-1' };
    const ok = parseEnvelope({
      eventId: uuid(2),
      type: 'EntryVoided',
      occurredAt: '2026-03-01T09:00:00Z',
      data,
    });
    expect(ok.success).toBe(true);
    if (ok.success) expect(streamIdFor(ok.envelope)).toBe('activity-act-1');
    const both = parseEnvelope({ ...envelope('EntryVoided'), data });
    expect(both.success).toBe(false);
  });

  it('refuses an extra field on the envelope', () => {
    const result = parseEnvelope(envelope('VisitRecorded', { priority: 'high' }));
    expect(result.success).toBe(false);
    if (!result.success) expect(result.issues[0]?.message).toMatch(/priority/);
  });

  it('refuses an extra field inside data', () => {
    const result = parseEnvelope({
      ...envelope('VisitRecorded'),
      data: { ...SAMPLES.VisitRecorded, mood: 'ok' },
    });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.issues[0]?.path).toBe('data');
  });

  it('writes the UUIDs it was sent in upper case in lower case (one case, one event, whatever their case)', () => {
    const target = uuid(7).toUpperCase();
    const result = parseEnvelope({
      ...envelope('EntryVoided', { caseId: CASE_ID.toUpperCase() }),
      eventId: uuid(8).toUpperCase(),
      data: { targetEventId: target, reason: 'typo' },
    });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.envelope.eventId).toBe(uuid(8));
    expect(result.envelope.caseId).toBe(CASE_ID);
    expect(result.envelope.data).toMatchObject({ targetEventId: uuid(7) });
  });

  it('refuses a lone surrogate or a byte-order mark in the data, and any of the three in sourceRecordId', () => {
    const visit = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      parseEnvelope(envelope('VisitRecorded', { data: { ...SAMPLES.VisitRecorded, ...data }, ...extra }));
    const cases: Array<[ReturnType<typeof parseEnvelope>, string, string]> = [
      [visit({ notes: 'A\ud800B' }), 'data.notes', 'surrogate'],
      [visit({ notes: '\udfff' }), 'data.notes', 'surrogate'],
      [visit({ notes: '\ufeffnote' }), 'data.notes', 'byte-order mark'],
      [
        visit({}, { sourceSystem: 'casebook', sourceRecordId: '\ufeffrec-1' }),
        'sourceRecordId',
        'byte-order mark',
      ],
      [visit({}, { sourceSystem: 'casebook', sourceRecordId: 'rec\u0000' }), 'sourceRecordId', 'NUL'],
    ];
    for (const [result, path, what] of cases) {
      expect(result.success).toBe(false);
      if (result.success) continue;
      expect(result.issues[0]?.path).toBe(path);
      expect(result.issues[0]?.message).toContain(what);
    }
    // A pair is text: an emoji (two surrogates) passes.
    expect(visit({ notes: '老人很开心 😀' }).success).toBe(true);
  });

  it('refuses a NUL character anywhere in the data, in a value or a key', () => {
    const named = parseEnvelope(
      envelope('OrganisationRegistered', {
        data: { organisationId: 'org-n', name: 'a\u0000b', kind: 'hub', regionCode: '640104000000' },
      }),
    );
    expect(named.success).toBe(false);
    if (!named.success) expect(named.issues[0]?.path).toBe('data.name');
    const scored = parseEnvelope(
      envelope('AssessmentRecorded', {
        data: { workerId: 'w-a1', scores: { 'he\u0000alth': 5 }, riskLevel: 'low' },
      }),
    );
    expect(scored.success).toBe(false);
    if (!scored.success) expect(scored.issues[0]?.path).toBe('data.scores.he\u0000alth');
  });

  it('refuses an occurredAt without an offset', () => {
    const result = parseEnvelope(envelope('VisitRecorded', { occurredAt: '2026-03-01T09:00:00' }));
    expect(result.success).toBe(false);
    if (!result.success) expect(result.issues[0]?.path).toBe('occurredAt');
  });

  it('refuses a resident ID number with a wrong check character', () => {
    const data = intakeData({ client: { clientRef: 'c-1', idNumber: '640104199001011231' } });
    const result = parseEnvelope({ ...envelope('IntakeRecorded'), data });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.issues[0]?.path).toBe('data.client.idNumber');
  });

  it('refuses a sourceSystem without a sourceRecordId', () => {
    expect(parseEnvelope(envelope('VisitRecorded', { sourceSystem: 'yc-cms' }))).toEqual({
      success: false,
      issues: [{ path: 'sourceRecordId', message: 'sourceSystem and sourceRecordId come together' }],
    });
  });

  it('refuses input that is not an object', () => {
    expect(parseEnvelope(null).success).toBe(false);
    expect(parseEnvelope('VisitRecorded').success).toBe(false);
  });
});
