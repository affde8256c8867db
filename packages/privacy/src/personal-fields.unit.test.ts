import { CASE_EVENT_SCHEMAS } from '@fengcheng/domain';
import { describe, expect, it } from 'vitest';
import { isEncryptedField } from './field-crypto';
import {
  clientOfCase,
  ERASED,
  encryptionContext,
  encryptPersonalData,
  hasEncryptedPersonalData,
  hasPlainPersonalData,
  PERSONAL_FIELDS,
  revealPersonalData,
  UNREADABLE,
  WITHHELD,
} from './personal-fields';

const key = Buffer.alloc(32, 1);
const intake = {
  type: 'IntakeRecorded',
  eventId: '11111111-2222-4333-8444-555555555555',
  occurredAt: '2026-03-01T08:00:00+08:00',
  data: {
    organisationId: 'org-a',
    workerId: 'w1',
    communityCode: '640104010004',
    targetGroups: ['elderly'],
    client: {
      clientRef: 'c-1',
      name: '海秀英',
      idNumber: '64010419480315001X',
      phone: '139 9510 4242',
      address: '兴庆区某巷 8 号',
      birthYear: 1948,
    },
    needs: [],
    riskLevel: 'high',
  },
};

describe('personal fields of events', () => {
  it('names only fields that exist in the contract', () => {
    for (const type of Object.keys(PERSONAL_FIELDS))
      expect(Object.hasOwn(CASE_EVENT_SCHEMAS, type)).toBe(true);
  });

  it('encrypts the client identity and leaves codes and refs in the clear', () => {
    const sealed = encryptPersonalData(intake, key);
    const client = sealed.data.client as Record<string, unknown>;
    for (const field of ['name', 'idNumber', 'phone', 'address'])
      expect(isEncryptedField(client[field])).toBe(true);
    expect(client.clientRef).toBe('c-1');
    expect(client.birthYear).toBe(1948);
    expect(sealed.data.organisationId).toBe('org-a');
    expect(intake.data.client.name).toBe('海秀英');
    expect(hasPlainPersonalData(intake)).toBe(true);
    expect(hasPlainPersonalData(sealed)).toBe(false);
    expect(hasEncryptedPersonalData(sealed)).toBe(true);
    const text = JSON.stringify(sealed);
    for (const secret of ['海秀英', '64010419480315001X', '139 9510 4242', '兴庆区某巷'])
      expect(text).not.toContain(secret);
  });

  it('encrypts notes and a closure summary, and leaves events without them alone', () => {
    const visit = {
      type: 'VisitRecorded',
      eventId: intake.eventId,
      data: { visitId: 'v1', notes: '情绪低落' },
    };
    expect(isEncryptedField(encryptPersonalData(visit, key).data.notes)).toBe(true);
    const closed = {
      type: 'CaseClosed',
      eventId: intake.eventId,
      data: { reason: 'moved', summary: '已搬离' },
    };
    expect(isEncryptedField(encryptPersonalData(closed, key).data.summary)).toBe(true);
    const bare = { type: 'VisitRecorded', eventId: intake.eventId, data: { visitId: 'v2' } };
    expect(encryptPersonalData(bare, key).data).toEqual({ visitId: 'v2' });
    expect(hasPlainPersonalData(bare)).toBe(false);
    const consent = { type: 'ConsentRecorded', eventId: intake.eventId, data: { scope: 'services' } };
    expect(encryptPersonalData(consent, key)).toBe(consent);
  });

  it('reveals with the key, or shows a marker when erased, withheld or damaged', () => {
    const sealed = encryptPersonalData(intake, key);
    expect(revealPersonalData(sealed, key)).toEqual(intake);
    const erased = revealPersonalData(sealed, ERASED).data.client as Record<string, unknown>;
    expect(erased).toEqual({
      ...intake.data.client,
      name: ERASED,
      idNumber: ERASED,
      phone: ERASED,
      address: ERASED,
    });
    expect((revealPersonalData(sealed, WITHHELD).data.client as { name: string }).name).toBe(WITHHELD);
    expect((revealPersonalData(sealed, Buffer.alloc(32, 2)).data.client as { name: string }).name).toBe(
      UNREADABLE,
    );
  });

  it('copies only what it replaces: neither the posted nor the stored event changes', () => {
    const posted = structuredClone(intake);
    const sealed = encryptPersonalData(posted, key);
    expect(posted).toEqual(intake);
    const stored = structuredClone(sealed);
    const revealed = revealPersonalData(sealed, key);
    expect(sealed).toEqual(stored);
    expect(revealed).toEqual(intake);
    // What holds no personal field is shared, not copied; what does is a new object each time.
    expect(sealed.data.targetGroups).toBe(posted.data.targetGroups);
    expect(sealed.data.client).not.toBe(posted.data.client);
    expect(revealed.data.client).not.toBe(sealed.data.client);
  });

  it('binds a re-sent source record to the record, not to its new eventId', () => {
    const source = { system: 'casebook', recordId: 'r-1' };
    const context = encryptionContext(intake.eventId, source);
    expect(context).toBe('source:casebook\u0000r-1');
    expect(encryptionContext(intake.eventId, null)).toBe(intake.eventId);
    const resent = { ...intake, eventId: '99999999-2222-4333-8444-555555555555' };
    const a = encryptPersonalData(intake, key, context);
    const b = encryptPersonalData(resent, key, encryptionContext(resent.eventId, source));
    expect(b.data).toEqual(a.data);
    expect(revealPersonalData(b, key, context).data).toEqual(intake.data);
    expect((revealPersonalData(b, key).data.client as { name: string }).name).toBe(UNREADABLE);
  });

  it('finds the client of a case from its intake', () => {
    expect(clientOfCase([{ type: 'ConsentRecorded', data: {} }, encryptPersonalData(intake, key)])).toEqual({
      organisationId: 'org-a',
      clientRef: 'c-1',
    });
    expect(clientOfCase([])).toBeNull();
  });
});
