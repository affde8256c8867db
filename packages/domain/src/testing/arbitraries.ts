import fc from 'fast-check';
import type { DomainEvent, Envelope } from '../events';
import { closeData, cmd, intakeData, referralData, resourceData, visitData } from './fixtures';

/** Case command kinds, visits and voids twice as likely. */
const KINDS = [
  'IntakeRecorded',
  'ConsentRecorded',
  'ConsentWithdrawn',
  'AssessmentRecorded',
  'CasePlanRecorded',
  'VisitRecorded',
  'VisitRecorded',
  'ReferralMade',
  'ReferralAccepted',
  'ReferralDeclined',
  'ReferralCompleted',
  'ReferralCancelled',
  'ResourceLinked',
  'CaseTransferred',
  'CaseClosed',
  'CaseReopened',
  'EntryVoided',
  'EntryVoided',
] as const;

/** One step of a generated case history: a kind and the choices its command makes. */
export const caseStep = fc.record({
  kind: fc.constantFrom(...KINDS),
  worker: fc.constantFrom('w-a1', 'w-a2', 'sup-a', 'w-b1', 'ghost'),
  referralId: fc.constantFrom('r-1', 'r-2'),
  toOrganisation: fc.constantFrom('org-a', 'org-b', '外部医院'),
  scope: fc.constantFrom('services', 'share_with_other_organisations', 'reporting') as fc.Arbitrary<
    'services' | 'share_with_other_organisations' | 'reporting'
  >,
  pick: fc.nat(),
  asB: fc.boolean(),
});
export type CaseStep = typeof caseStep extends fc.Arbitrary<infer S> ? S : never;

/** A syntactically valid case command for a step, naming earlier events where it needs one. */
export function caseCommandFor(s: CaseStep, past: readonly DomainEvent[]): Envelope {
  switch (s.kind) {
    case 'IntakeRecorded':
      return cmd(s.kind, intakeData({ workerId: s.worker }));
    case 'ConsentRecorded':
      return cmd(s.kind, {
        scope: s.scope,
        signatory: 'client',
        ...(s.pick % 2 ? { expiresOn: '2026-02-01' } : {}),
      });
    case 'ConsentWithdrawn':
      return cmd(s.kind, { scope: s.scope, signatory: 'client' });
    case 'AssessmentRecorded':
      return cmd(s.kind, { workerId: s.worker, scores: { health: s.pick % 11 }, riskLevel: 'low' });
    case 'CasePlanRecorded':
      return cmd(s.kind, {
        goals: [{ goalId: 'g', need: 'health', description: 'd' }],
        approvedBy: s.worker,
      });
    case 'VisitRecorded':
      return cmd(s.kind, visitData({ workerId: s.worker }));
    case 'ReferralMade':
      return cmd(s.kind, referralData({ referralId: s.referralId, toOrganisation: s.toOrganisation }));
    case 'ReferralAccepted':
    case 'ReferralDeclined':
    case 'ReferralCompleted':
    case 'ReferralCancelled':
      return cmd(s.kind, { referralId: s.referralId });
    case 'ResourceLinked':
      return cmd(s.kind, resourceData());
    case 'CaseTransferred':
      return cmd(s.kind, {
        toWorkerId: s.worker,
        ...(s.pick % 3 === 0 ? { toOrganisationId: 'org-b' } : {}),
      });
    case 'CaseClosed':
      return cmd(s.kind, closeData());
    case 'CaseReopened':
      return cmd(s.kind, { reason: 'again' });
    case 'EntryVoided': {
      const target = past.length
        ? past[s.pick % past.length]!.eventId
        : '00000000-0000-4000-8000-00000000dead';
      return cmd(s.kind, { targetEventId: target, reason: 'correction' });
    }
  }
}

/** Kinds of the other streams: registrations, a group activity and its voiding, supervision, erasure. */
const OTHER_KINDS = [
  'OrganisationRegistered',
  'WorkerRegistered',
  'WorkerCertified',
  'ProjectRegistered',
  'GroupActivityRecorded',
  'GroupActivityRecorded',
  'SupervisionRecorded',
  'PersonalDataErased',
  'EntryVoided',
  'EntryVoided',
] as const;

/** One step of a generated history of a non-case stream. */
export const otherStep = fc.record({
  kind: fc.constantFrom(...OTHER_KINDS),
  worker: fc.constantFrom('w-a1', 'sup-a', 'w-b1', 'w-new', 'ghost'),
  organisation: fc.constantFrom('org-a', 'org-b', 'org-new'),
  pick: fc.nat(),
});
export type OtherStep = typeof otherStep extends fc.Arbitrary<infer S> ? S : never;

/** A syntactically valid non-case command for a step, naming earlier events where it needs one. */
export function otherCommandFor(s: OtherStep, past: readonly DomainEvent[]): Envelope {
  const none = { caseId: undefined };
  switch (s.kind) {
    case 'OrganisationRegistered':
      return cmd(
        s.kind,
        { organisationId: s.organisation, name: '寸草心', kind: 'hub', regionCode: '640104000000' },
        none,
      );
    case 'WorkerRegistered':
      return cmd(
        s.kind,
        { workerId: s.worker, organisationId: s.organisation, certification: 'none', role: 'frontline' },
        none,
      );
    case 'WorkerCertified':
      return cmd(s.kind, { workerId: s.worker, certification: 'junior' }, none);
    case 'ProjectRegistered':
      return cmd(
        s.kind,
        {
          projectId: 'p-new',
          organisationId: s.organisation,
          name: '牵手夕阳红',
          brand: '牵手夕阳红',
          fundingSource: 'venture_philanthropy',
        },
        none,
      );
    case 'GroupActivityRecorded':
      return cmd(
        s.kind,
        {
          activityId: 'act-1',
          projectId: 'p-a',
          workerIds: s.pick % 2 ? [s.worker] : ['w-a1', s.worker],
          communityCode: '640106002003',
          attendees: 1 + (s.pick % 40),
          targetGroups: ['child'],
          services: ['tutoring'],
        },
        none,
      );
    case 'SupervisionRecorded':
      return cmd(s.kind, { supervisorId: 'sup-a', superviseeId: s.worker, minutes: 30 }, none);
    case 'PersonalDataErased':
      return cmd(
        s.kind,
        { organisationId: s.organisation, clientRef: 'client-1', legalBasis: 'PIPL art. 47' },
        none,
      );
    case 'EntryVoided': {
      const target = past.length
        ? past[s.pick % past.length]!.eventId
        : '00000000-0000-4000-8000-00000000dead';
      return cmd(s.kind, { targetEventId: target, reason: 'recorded twice', activityId: 'act-1' }, none);
    }
  }
}
