import { describe, expect, it } from 'vitest';
import { streamStateOf } from '../decide';
import type { DomainEvent } from '../events';
import {
  ADMIN,
  AGENCY_A,
  AGENCY_B,
  CASE_ID,
  closeData,
  cmd,
  ctxFor,
  ev,
  intakeData,
  openedCase,
  referralData,
  resourceData,
  visitData,
} from '../testing/fixtures';
import { given } from '../testing/given';
import { referencedIds } from './case.decider';

const closed = (): DomainEvent[] => [...openedCase(), ev(cmd('CaseClosed', closeData()))];
const shareConsent = (expiresOn?: string) =>
  ev(
    cmd('ConsentRecorded', {
      scope: 'share_with_other_organisations',
      signatory: 'client',
      ...(expiresOn ? { expiresOn } : {}),
    }),
  );

describe('case decider: opening', () => {
  it('records an intake on an empty stream as exactly that event', () => {
    const intake = cmd('IntakeRecorded', intakeData());
    const events = given([])
      .when(intake, AGENCY_A)
      .then([ev(intake)]);
    expect(events[0]).not.toHaveProperty('caseId');
  });

  it('refuses anything before intake (CASE_NOT_OPENED)', () => {
    given([]).when(cmd('VisitRecorded', visitData()), AGENCY_A).thenThrows('CASE_NOT_OPENED');
  });

  it('refuses a second intake (CASE_ALREADY_OPENED)', () => {
    given(openedCase()).when(cmd('IntakeRecorded', intakeData()), AGENCY_A).thenThrows('CASE_ALREADY_OPENED');
  });

  it('refuses an intake for another organisation (NOT_YOUR_ORGANISATION)', () => {
    given([]).when(cmd('IntakeRecorded', intakeData()), AGENCY_B).thenThrows('NOT_YOUR_ORGANISATION');
  });

  it('refuses an agency key bound to no organisation (NOT_YOUR_ORGANISATION)', () => {
    const ctx = ctxFor({ actor: { role: 'agency' } });
    given([]).when(cmd('IntakeRecorded', intakeData()), ctx).thenThrows('NOT_YOUR_ORGANISATION');
  });

  it('refuses an intake for an unregistered organisation (ORGANISATION_NOT_REGISTERED)', () => {
    const ctx = ctxFor({ actor: { role: 'agency', organisationId: 'org-x' } });
    given([])
      .when(cmd('IntakeRecorded', intakeData({ organisationId: 'org-x' })), ctx)
      .thenThrows('ORGANISATION_NOT_REGISTERED');
  });

  it('refuses an unregistered worker (WORKER_NOT_REGISTERED)', () => {
    given([])
      .when(cmd('IntakeRecorded', intakeData({ workerId: 'w-nobody' })), AGENCY_A)
      .thenThrows('WORKER_NOT_REGISTERED');
  });

  it('refuses a worker of another organisation (WORKER_OF_OTHER_ORGANISATION)', () => {
    given([])
      .when(cmd('IntakeRecorded', intakeData({ workerId: 'w-b1' })), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses an unregistered project (PROJECT_NOT_REGISTERED)', () => {
    given([])
      .when(cmd('IntakeRecorded', intakeData({ projectId: 'p-none' })), AGENCY_A)
      .thenThrows('PROJECT_NOT_REGISTERED');
  });

  it("refuses another organisation's project (PROJECT_OF_OTHER_ORGANISATION)", () => {
    given([])
      .when(cmd('IntakeRecorded', intakeData({ projectId: 'p-b' })), AGENCY_A)
      .thenThrows('PROJECT_OF_OTHER_ORGANISATION');
  });

  it('accepts an intake without a project', () => {
    const { projectId: _, ...data } = intakeData();
    const intake = cmd('IntakeRecorded', data);
    given([])
      .when(intake, AGENCY_A)
      .then([ev(intake)]);
  });
});

describe('case decider: who may write', () => {
  for (const role of ['admin', 'analyst', 'reviewer'] as const) {
    it(`refuses case facts from the ${role} role (FORBIDDEN_ROLE)`, () => {
      given(openedCase())
        .when(cmd('VisitRecorded', visitData()), ctxFor({ actor: { role, organisationId: 'org-a' } }))
        .thenThrows('FORBIDDEN_ROLE');
    });
  }

  it("refuses a write to another organisation's case (NOT_YOUR_CASE)", () => {
    given(openedCase())
      .when(cmd('VisitRecorded', visitData({ workerId: 'w-b1' })), AGENCY_B)
      .thenThrows('NOT_YOUR_CASE');
  });

  it('says NOT_YOUR_CASE before CASE_CLOSED, so a closed case of another organisation shows nothing', () => {
    given(closed()).when(cmd('VisitRecorded', visitData()), AGENCY_B).thenThrows('NOT_YOUR_CASE');
  });

  it('refuses a visit by a worker of another organisation (WORKER_OF_OTHER_ORGANISATION)', () => {
    given(openedCase())
      .when(cmd('VisitRecorded', visitData({ workerId: 'w-b1' })), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses an assessment by an unregistered worker (WORKER_NOT_REGISTERED)', () => {
    given(openedCase())
      .when(
        cmd('AssessmentRecorded', { workerId: 'ghost', scores: { health: 4 }, riskLevel: 'low' }),
        AGENCY_A,
      )
      .thenThrows('WORKER_NOT_REGISTERED');
  });
});

describe('case decider: the clock', () => {
  it('accepts occurredAt exactly 5 minutes after now', () => {
    const visit = cmd('VisitRecorded', visitData(), { occurredAt: '2026-03-01T08:05:00+08:00' });
    given(openedCase())
      .when(visit, AGENCY_A)
      .then([ev(visit)]);
  });

  it('refuses occurredAt more than 5 minutes after now (OCCURRED_IN_FUTURE)', () => {
    const visit = cmd('VisitRecorded', visitData(), { occurredAt: '2026-03-01T00:05:01Z' });
    given(openedCase()).when(visit, AGENCY_A).thenThrows('OCCURRED_IN_FUTURE');
  });

  it('refuses occurredAt before 2000-01-01 CST (OCCURRED_TOO_EARLY), and the year 1 above all', () => {
    // 0001-01-01T00:00+14:00 is in the year 0 in UTC: the projector could not store it.
    for (const occurredAt of ['0001-01-01T00:00:00+14:00', '1999-12-31T23:59:59+08:00']) {
      given([])
        .when(cmd('IntakeRecorded', intakeData(), { occurredAt }), AGENCY_A)
        .thenThrows('OCCURRED_TOO_EARLY');
    }
    const first = cmd('IntakeRecorded', intakeData(), { occurredAt: '2000-01-01T00:00:00+08:00' });
    given([])
      .when(first, AGENCY_A)
      .then([ev(first)]);
  });

  it('refuses a fact dated before the intake (OCCURRED_BEFORE_INTAKE), whatever the offset', () => {
    // The intake is at 07:30 CST, which is 23:30Z the day before.
    given(openedCase())
      .when(cmd('VisitRecorded', visitData(), { occurredAt: '2026-02-28T23:29:59Z' }), AGENCY_A)
      .thenThrows('OCCURRED_BEFORE_INTAKE');
    given(openedCase())
      .when(cmd('CaseClosed', closeData(), { occurredAt: '2026-03-01T07:00:00+08:00' }), AGENCY_A)
      .thenThrows('OCCURRED_BEFORE_INTAKE');
    const atIntake = cmd('VisitRecorded', visitData(), { occurredAt: '2026-02-28T23:30:00Z' });
    given(openedCase())
      .when(atIntake, AGENCY_A)
      .then([ev(atIntake)]);
  });
});

describe('case decider: closure', () => {
  it('closes an open case', () => {
    const close = cmd('CaseClosed', closeData());
    given(openedCase())
      .when(close, AGENCY_A)
      .then([ev(close)]);
  });

  it('refuses a visit after closure (CASE_CLOSED)', () => {
    given(closed()).when(cmd('VisitRecorded', visitData()), AGENCY_A).thenThrows('CASE_CLOSED');
  });

  it('refuses a second closure (CASE_CLOSED)', () => {
    given(closed()).when(cmd('CaseClosed', closeData()), AGENCY_A).thenThrows('CASE_CLOSED');
  });

  it('reopens a closed case', () => {
    const reopen = cmd('CaseReopened', { reason: 'relapse' });
    given(closed())
      .when(reopen, AGENCY_A)
      .then([ev(reopen)]);
  });

  it('refuses to reopen an open case (CASE_NOT_CLOSED)', () => {
    given(openedCase())
      .when(cmd('CaseReopened', { reason: 'x' }), AGENCY_A)
      .thenThrows('CASE_NOT_CLOSED');
  });

  it('voids a visit after closure', () => {
    const visit = cmd('VisitRecorded', visitData());
    const past = [...openedCase(), ev(visit), ev(cmd('CaseClosed', closeData()))];
    const voiding = cmd('EntryVoided', { targetEventId: visit.eventId, reason: 'entered twice' });
    given(past)
      .when(voiding, AGENCY_A)
      .then([ev(voiding)]);
  });

  it('accepts a visit again after reopening', () => {
    const past = [...closed(), ev(cmd('CaseReopened', { reason: 'relapse' }))];
    const visit = cmd('VisitRecorded', visitData());
    given(past)
      .when(visit, AGENCY_A)
      .then([ev(visit)]);
  });
});

describe('case decider: referrals', () => {
  const made = () => cmd('ReferralMade', referralData());

  it('refers to another organisation with consent to share', () => {
    const referral = made();
    given([...openedCase(), shareConsent()])
      .when(referral, AGENCY_A)
      .then([ev(referral)]);
  });

  it('refers within the owning organisation without consent to share', () => {
    const referral = cmd('ReferralMade', referralData({ toOrganisation: 'org-a' }));
    given(openedCase())
      .when(referral, AGENCY_A)
      .then([ev(referral)]);
  });

  it('refuses a referral to another organisation without consent (CONSENT_TO_SHARE_REQUIRED)', () => {
    given(openedCase()).when(made(), AGENCY_A).thenThrows('CONSENT_TO_SHARE_REQUIRED');
  });

  it('refuses it when the consent covers another scope (CONSENT_TO_SHARE_REQUIRED)', () => {
    const services = ev(cmd('ConsentRecorded', { scope: 'services', signatory: 'client' }));
    given([...openedCase(), services])
      .when(made(), AGENCY_A)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
  });

  it('refuses it after the consent was withdrawn (CONSENT_TO_SHARE_REQUIRED)', () => {
    const withdrawn = ev(
      cmd('ConsentWithdrawn', { scope: 'share_with_other_organisations', signatory: 'client' }),
    );
    given([...openedCase(), shareConsent(), withdrawn])
      .when(made(), AGENCY_A)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
  });

  it('accepts a consent on its last day (CST) and refuses it the day after', () => {
    // The test clock is 2026-03-01 08:00 CST (00:00 UTC): the CST day is 03-01.
    const referral = made();
    given([...openedCase(), shareConsent('2026-03-01')])
      .when(referral, AGENCY_A)
      .then([ev(referral)]);
    given([...openedCase(), shareConsent('2026-02-28')])
      .when(made(), AGENCY_A)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
  });

  it('judges expiry by the CST day, not the UTC day', () => {
    // 2026-02-28T17:00Z is already 03-01 01:00 in Yinchuan: a consent ending 02-28 has expired.
    const ctx = ctxFor({ now: new Date('2026-02-28T17:00:00Z') });
    const early = { occurredAt: '2026-02-20T09:00:00+08:00' };
    const opened = [ev(cmd('IntakeRecorded', intakeData(), early))];
    const consent = ev(
      cmd(
        'ConsentRecorded',
        { scope: 'share_with_other_organisations', signatory: 'client', expiresOn: '2026-02-28' },
        early,
      ),
    );
    const referral = cmd('ReferralMade', referralData(), { occurredAt: '2026-02-28T17:00:00Z' });
    given([...opened, consent])
      .when(referral, ctx)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
    // 15:59Z is 02-28 23:59 in Yinchuan: the consent's last day.
    const inTime = cmd('ReferralMade', referralData(), { occurredAt: '2026-02-28T15:59:00Z' });
    given([...opened, consent])
      .when(inTime, ctx)
      .then([ev(inTime)]);
  });

  it("judges the consent at the referral's date, not the day it is recorded", () => {
    // A referral dated before the consent was given is not covered by it.
    const consent = ev(
      cmd(
        'ConsentRecorded',
        { scope: 'share_with_other_organisations', signatory: 'client' },
        { occurredAt: '2026-03-01T07:50:00+08:00' },
      ),
    );
    given([...openedCase(), consent])
      .when(cmd('ReferralMade', referralData(), { occurredAt: '2026-03-01T07:40:00+08:00' }), AGENCY_A)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
    // A referral dated on the consent's last day, recorded after it expired, was covered.
    const ctx = ctxFor({ now: new Date('2026-03-10T00:00:00Z') });
    const late = cmd('ReferralMade', referralData(), { occurredAt: '2026-03-01T07:45:00+08:00' });
    given([...openedCase(), shareConsent('2026-03-01')])
      .when(late, ctx)
      .then([ev(late)]);
    // A withdrawal dated before the referral ends the consent for it, whatever the stream order.
    const withdrawn = ev(
      cmd(
        'ConsentWithdrawn',
        { scope: 'share_with_other_organisations', signatory: 'client' },
        { occurredAt: '2026-03-01T07:40:00+08:00' },
      ),
    );
    given([...openedCase(), shareConsent(), withdrawn])
      .when(cmd('ReferralMade', referralData(), { occurredAt: '2026-03-01T07:45:00+08:00' }), AGENCY_A)
      .thenThrows('CONSENT_TO_SHARE_REQUIRED');
  });

  it('refuses the same referralId twice (REFERRAL_ALREADY_EXISTS)', () => {
    given([...openedCase(), shareConsent(), ev(made())])
      .when(made(), AGENCY_A)
      .thenThrows('REFERRAL_ALREADY_EXISTS');
  });

  it('refuses a step of an unknown referral (REFERRAL_NOT_FOUND)', () => {
    given(openedCase())
      .when(cmd('ReferralAccepted', { referralId: 'r-404' }), AGENCY_A)
      .thenThrows('REFERRAL_NOT_FOUND');
  });

  const steps = {
    accept: () => cmd('ReferralAccepted', { referralId: 'r-1' }),
    decline: () => cmd('ReferralDeclined', { referralId: 'r-1' }),
    complete: () => cmd('ReferralCompleted', { referralId: 'r-1' }),
    cancel: () => cmd('ReferralCancelled', { referralId: 'r-1' }),
  };
  type Step = keyof typeof steps;
  const allowed: Record<string, Step[]> = {
    requested: ['accept', 'decline', 'cancel'],
    accepted: ['complete', 'cancel'],
    declined: [],
    completed: [],
    cancelled: [],
  };
  const reach: Record<string, Step[]> = {
    requested: [],
    accepted: ['accept'],
    declined: ['decline'],
    completed: ['accept', 'complete'],
    cancelled: ['cancel'],
  };
  for (const [from, path] of Object.entries(reach)) {
    for (const step of Object.keys(steps) as Step[]) {
      const ok = allowed[from]?.includes(step) ?? false;
      it(`${ok ? 'allows' : 'refuses (REFERRAL_TRANSITION_INVALID)'} ${step} from ${from}`, () => {
        const past = [...openedCase(), shareConsent(), ev(made()), ...path.map((s) => ev(steps[s]()))];
        const command = steps[step]();
        if (ok)
          given(past)
            .when(command, AGENCY_A)
            .then([ev(command)]);
        else given(past).when(command, AGENCY_A).thenThrows('REFERRAL_TRANSITION_INVALID');
      });
    }
  }
});

describe('case decider: consents', () => {
  it('withdraws a consent that was given', () => {
    const withdraw = cmd('ConsentWithdrawn', {
      scope: 'share_with_other_organisations',
      signatory: 'client',
    });
    given([...openedCase(), shareConsent()])
      .when(withdraw, AGENCY_A)
      .then([ev(withdraw)]);
  });

  it('refuses to withdraw a consent never given (CONSENT_NOT_GIVEN)', () => {
    given(openedCase())
      .when(cmd('ConsentWithdrawn', { scope: 'reporting', signatory: 'guardian' }), AGENCY_A)
      .thenThrows('CONSENT_NOT_GIVEN');
  });

  it('refuses to withdraw a consent twice (CONSENT_NOT_GIVEN)', () => {
    const withdraw = () =>
      cmd('ConsentWithdrawn', { scope: 'share_with_other_organisations', signatory: 'client' });
    given([...openedCase(), shareConsent(), ev(withdraw())])
      .when(withdraw(), AGENCY_A)
      .thenThrows('CONSENT_NOT_GIVEN');
  });
});

describe('case decider: plans', () => {
  const goals = [{ goalId: 'g1', need: 'daily_living', description: 'cooks for herself twice a week' }];

  it('accepts a plan approved by a supervisor of the organisation', () => {
    const plan = cmd('CasePlanRecorded', { goals, approvedBy: 'sup-a' });
    given(openedCase())
      .when(plan, AGENCY_A)
      .then([ev(plan)]);
  });

  it('refuses a plan approved by a frontline worker (APPROVER_NOT_SUPERVISOR)', () => {
    given(openedCase())
      .when(cmd('CasePlanRecorded', { goals, approvedBy: 'w-a2' }), AGENCY_A)
      .thenThrows('APPROVER_NOT_SUPERVISOR');
  });

  it("refuses a plan approved by another organisation's supervisor (WORKER_OF_OTHER_ORGANISATION)", () => {
    given(openedCase())
      .when(cmd('CasePlanRecorded', { goals, approvedBy: 'sup-b' }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });
});

describe('case decider: transfers', () => {
  it('transfers to a worker of the same organisation', () => {
    const transfer = cmd('CaseTransferred', { toWorkerId: 'w-a2' });
    given(openedCase())
      .when(transfer, AGENCY_A)
      .then([ev(transfer)]);
  });

  it('transfers to another organisation and its worker', () => {
    const transfer = cmd('CaseTransferred', { toWorkerId: 'w-b1', toOrganisationId: 'org-b' });
    given(openedCase())
      .when(transfer, AGENCY_A)
      .then([ev(transfer)]);
  });

  it("refuses a transfer to another organisation's worker without naming it (WORKER_OF_OTHER_ORGANISATION)", () => {
    given(openedCase())
      .when(cmd('CaseTransferred', { toWorkerId: 'w-b1' }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses a transfer whose worker is not of the receiving organisation (WORKER_OF_OTHER_ORGANISATION)', () => {
    given(openedCase())
      .when(cmd('CaseTransferred', { toWorkerId: 'w-a2', toOrganisationId: 'org-b' }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses a transfer to the worker who has the case already (CASE_ALREADY_WITH_WORKER)', () => {
    given(openedCase())
      .when(cmd('CaseTransferred', { toWorkerId: 'w-a1' }), AGENCY_A)
      .thenThrows('CASE_ALREADY_WITH_WORKER');
    const past = [...openedCase(), ev(cmd('CaseTransferred', { toWorkerId: 'w-a2' }))];
    given(past)
      .when(cmd('CaseTransferred', { toWorkerId: 'w-a2' }), AGENCY_A)
      .thenThrows('CASE_ALREADY_WITH_WORKER');
    const back = cmd('CaseTransferred', { toWorkerId: 'w-a1' });
    given(past)
      .when(back, AGENCY_A)
      .then([ev(back)]);
  });

  it('refuses a transfer to an unregistered organisation (ORGANISATION_NOT_REGISTERED)', () => {
    given(openedCase())
      .when(cmd('CaseTransferred', { toWorkerId: 'w-b1', toOrganisationId: 'org-z' }), AGENCY_A)
      .thenThrows('ORGANISATION_NOT_REGISTERED');
  });

  it('hands the case to the receiving organisation: the old owner is refused, the new one accepted', () => {
    const past = [
      ...openedCase(),
      ev(cmd('CaseTransferred', { toWorkerId: 'w-b1', toOrganisationId: 'org-b' })),
    ];
    given(past).when(cmd('VisitRecorded', visitData()), AGENCY_A).thenThrows('NOT_YOUR_CASE');
    const visit = cmd('VisitRecorded', visitData({ workerId: 'w-b1' }));
    given(past)
      .when(visit, AGENCY_B)
      .then([ev(visit)]);
  });
});

describe('case decider: voiding', () => {
  it('voids a resource link', () => {
    const link = cmd('ResourceLinked', resourceData());
    const voiding = cmd('EntryVoided', { targetEventId: link.eventId, reason: 'wrong case' });
    given([...openedCase(), ev(link)])
      .when(voiding, AGENCY_A)
      .then([ev(voiding)]);
  });

  it('refuses to void an entry of another stream (ENTRY_NOT_FOUND)', () => {
    given(openedCase())
      .when(cmd('EntryVoided', { targetEventId: CASE_ID, reason: 'x' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_FOUND');
  });

  it('refuses to void an entry twice (ENTRY_ALREADY_VOIDED)', () => {
    const visit = cmd('VisitRecorded', visitData());
    const past = [
      ...openedCase(),
      ev(visit),
      ev(cmd('EntryVoided', { targetEventId: visit.eventId, reason: 'x' })),
    ];
    given(past)
      .when(cmd('EntryVoided', { targetEventId: visit.eventId, reason: 'again' }), AGENCY_A)
      .thenThrows('ENTRY_ALREADY_VOIDED');
  });

  it('refuses to void the intake (ENTRY_NOT_VOIDABLE)', () => {
    const past = openedCase();
    given(past)
      .when(cmd('EntryVoided', { targetEventId: past[0]!.eventId, reason: 'x' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_VOIDABLE');
  });

  it('refuses to void a closure, a reopening, a transfer or a referral (ENTRY_NOT_VOIDABLE), naming the fact that undoes it', () => {
    const close = cmd('CaseClosed', closeData());
    const error = given([...openedCase(), ev(close)])
      .when(cmd('EntryVoided', { targetEventId: close.eventId, reason: 'wrong reason' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_VOIDABLE');
    expect(error.message).toContain('CaseReopened');
    const reopen = cmd('CaseReopened', { reason: 'x' });
    given([...openedCase(), ev(close), ev(reopen)])
      .when(cmd('EntryVoided', { targetEventId: reopen.eventId, reason: 'x' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_VOIDABLE');
    const transfer = cmd('CaseTransferred', { toWorkerId: 'w-a2' });
    given([...openedCase(), ev(transfer)])
      .when(cmd('EntryVoided', { targetEventId: transfer.eventId, reason: 'x' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_VOIDABLE');
    const referral = cmd('ReferralMade', referralData({ toOrganisation: 'org-a' }));
    const accepted = cmd('ReferralAccepted', { referralId: 'r-1' });
    for (const target of [referral, accepted]) {
      const refused = given([...openedCase(), ev(referral), ev(accepted)])
        .when(cmd('EntryVoided', { targetEventId: target.eventId, reason: 'x' }), AGENCY_A)
        .thenThrows('ENTRY_NOT_VOIDABLE');
      expect(refused.message).toContain('ReferralCancelled');
    }
  });

  it('refuses to void a void (ENTRY_NOT_VOIDABLE)', () => {
    const visit = cmd('VisitRecorded', visitData());
    const voiding = cmd('EntryVoided', { targetEventId: visit.eventId, reason: 'x' });
    given([...openedCase(), ev(visit), ev(voiding)])
      .when(cmd('EntryVoided', { targetEventId: voiding.eventId, reason: 'undo' }), AGENCY_A)
      .thenThrows('ENTRY_NOT_VOIDABLE');
  });
});

describe('referencedIds', () => {
  it('names the worker, organisation and project of an intake', () => {
    expect(referencedIds(cmd('IntakeRecorded', intakeData()))).toEqual({
      workerIds: ['w-a1'],
      projectIds: ['p-a'],
      organisationIds: ['org-a'],
    });
  });

  it('names the receiving worker and organisation of a transfer', () => {
    expect(referencedIds(cmd('CaseTransferred', { toWorkerId: 'w-b1', toOrganisationId: 'org-b' }))).toEqual({
      workerIds: ['w-b1'],
      projectIds: [],
      organisationIds: ['org-b'],
    });
  });

  it("names each of a group activity's workers once", () => {
    const activity = cmd(
      'GroupActivityRecorded',
      {
        activityId: 'act-1',
        projectId: 'p-a',
        workerIds: ['w-a1', 'w-a2', 'w-a1'],
        communityCode: '640104001001',
        attendees: 30,
        targetGroups: ['child'],
        services: ['tutoring'],
      },
      { caseId: undefined },
    );
    expect(referencedIds(activity)).toEqual({
      workerIds: ['w-a1', 'w-a2'],
      projectIds: ['p-a'],
      organisationIds: [],
    });
  });

  it("names an activity's workers when voiding one of its entries, from the stream's past", () => {
    const activity = cmd(
      'GroupActivityRecorded',
      {
        activityId: 'act-1',
        projectId: 'p-a',
        workerIds: ['w-a2'],
        communityCode: '640104001001',
        attendees: 3,
        targetGroups: ['child'],
        services: ['tutoring'],
      },
      { caseId: undefined },
    );
    const voiding = cmd(
      'EntryVoided',
      { targetEventId: activity.eventId, reason: 'x', activityId: 'act-1' },
      { caseId: undefined },
    );
    expect(referencedIds(voiding, streamStateOf([ev(activity)])).workerIds).toEqual(['w-a2']);
  });

  it('names nothing for a visit-free fact like a closure', () => {
    expect(referencedIds(cmd('CaseClosed', closeData()))).toEqual({
      workerIds: [],
      projectIds: [],
      organisationIds: [],
    });
  });
});

it('refuses an intake from the admin role (FORBIDDEN_ROLE)', () => {
  given([]).when(cmd('IntakeRecorded', intakeData()), ADMIN).thenThrows('FORBIDDEN_ROLE');
});
