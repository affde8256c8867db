import type { StreamState } from '../decide';
import type { DomainEvent, Envelope } from '../events';
import {
  agencyOrganisation,
  checkOccurredAt,
  checkOrganisationRegistered,
  checkProjectOf,
  checkWorkerOf,
  cstDay,
  type DecideContext,
} from '../shared/decide-context';
import { DomainError } from '../shared/errors';
import type { CaseEvent, CaseEventType } from './case.events';
import type { CaseState, ReferralState } from './case.state';

export type { Actor, DecideContext, WorkerInfo } from '../shared/decide-context';

/** "Record this fact" on a case stream: an envelope of a case event type. */
export type CaseCommand = Extract<Envelope, { type: CaseEventType }>;

/** Where each referral step may come from (FHIR Task: requested → accepted/rejected → completed, or cancelled). */
const REFERRAL_STEPS = {
  ReferralAccepted: { from: ['requested'], to: 'accepted' },
  ReferralDeclined: { from: ['requested'], to: 'declined' },
  ReferralCompleted: { from: ['accepted'], to: 'completed' },
  ReferralCancelled: { from: ['requested', 'accepted'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly ReferralState[]; to: ReferralState }>;

/**
 * Entries that cannot be voided, and why. The intake and a void would leave the stream without
 * meaning; status, ownership and referral states follow the others, and each is undone by
 * recording the opposite fact, so the history says why (a void of them was accepted and then
 * changed nothing: the closure stood, and a new closure was refused).
 */
const NOT_VOIDABLE: Partial<Record<CaseEventType, string>> = {
  IntakeRecorded: 'the intake opens the case and cannot be voided',
  EntryVoided: 'a void cannot be voided',
  CaseClosed:
    'a closure is undone by CaseReopened (then CaseClosed again, if the case should be closed otherwise)',
  CaseReopened: 'a reopening is undone by CaseClosed',
  CaseTransferred: 'a transfer is undone by a CaseTransferred back',
  ReferralMade: 'a referral is withdrawn by ReferralCancelled',
  ReferralAccepted: 'a referral step cannot be voided; a referral is withdrawn by ReferralCancelled',
  ReferralDeclined: 'a referral step cannot be voided; record the referral again under a new referralId',
  ReferralCompleted: 'a referral step cannot be voided',
  ReferralCancelled: 'a referral step cannot be voided; record the referral again under a new referralId',
};

/**
 * Decides whether a case fact may be recorded, given the case's state. Returns the events
 * to append (the command as a case event) or throws a DomainError with a registry code.
 */
export function decide(command: CaseCommand, state: CaseState, ctx: DecideContext): CaseEvent[] {
  const actorOrganisation = agencyOrganisation(ctx.actor);
  const occurredAt = checkOccurredAt(command.occurredAt, ctx.now);

  if (command.type === 'IntakeRecorded') {
    const d = command.data;
    if (d.organisationId !== actorOrganisation) {
      throw new DomainError(
        'NOT_YOUR_ORGANISATION',
        `an agency of ${actorOrganisation} cannot open a case for ${d.organisationId}`,
      );
    }
    if (state.status !== 'not_opened') throw new DomainError('CASE_ALREADY_OPENED');
    checkOrganisationRegistered(ctx, d.organisationId);
    checkWorkerOf(ctx, d.workerId, d.organisationId);
    if (d.projectId !== undefined) checkProjectOf(ctx, d.projectId, d.organisationId);
    return [toEvent(command)];
  }

  if (state.status === 'not_opened' || state.organisationId === null)
    throw new DomainError('CASE_NOT_OPENED');
  const owner = state.organisationId;
  if (owner !== actorOrganisation) {
    throw new DomainError(
      'NOT_YOUR_CASE',
      `the case belongs to another organisation than ${actorOrganisation}`,
    );
  }
  if (state.status === 'closed' && command.type !== 'CaseReopened' && command.type !== 'EntryVoided') {
    throw new DomainError('CASE_CLOSED', `${command.type} cannot follow the closure`);
  }
  // Nothing before intake, in time as in the stream: a fact dated before the case opened
  // would be counted on days the case did not exist.
  if (state.openedAt !== null && occurredAt < Date.parse(state.openedAt)) {
    throw new DomainError(
      'OCCURRED_BEFORE_INTAKE',
      `occurredAt ${command.occurredAt} is before the intake at ${state.openedAt}`,
    );
  }

  switch (command.type) {
    case 'ConsentRecorded':
      break;
    case 'ConsentWithdrawn':
      if (!state.consents[command.data.scope]?.active) {
        throw new DomainError('CONSENT_NOT_GIVEN', `no ${command.data.scope} consent is in force`);
      }
      break;
    case 'AssessmentRecorded':
      checkWorkerOf(ctx, command.data.workerId, owner);
      break;
    case 'CasePlanRecorded': {
      const approver = command.data.approvedBy;
      if (approver !== undefined && checkWorkerOf(ctx, approver, owner).role !== 'supervisor') {
        throw new DomainError('APPROVER_NOT_SUPERVISOR', `worker ${approver} is not a supervisor`);
      }
      break;
    }
    case 'VisitRecorded':
      checkWorkerOf(ctx, command.data.workerId, owner);
      break;
    case 'ReferralMade': {
      const d = command.data;
      if (state.referrals[d.referralId]) {
        throw new DomainError('REFERRAL_ALREADY_EXISTS', `referral ${d.referralId} was already made`);
      }
      if (d.toOrganisation !== owner && !hasConsentToShare(state, command.occurredAt)) {
        throw new DomainError(
          'CONSENT_TO_SHARE_REQUIRED',
          `no share_with_other_organisations consent in force at ${command.occurredAt}`,
        );
      }
      break;
    }
    case 'ReferralAccepted':
    case 'ReferralDeclined':
    case 'ReferralCompleted':
    case 'ReferralCancelled': {
      const referral = state.referrals[command.data.referralId];
      if (!referral) {
        throw new DomainError('REFERRAL_NOT_FOUND', `no referral ${command.data.referralId} in this case`);
      }
      const step = REFERRAL_STEPS[command.type];
      if (!(step.from as readonly ReferralState[]).includes(referral.state)) {
        throw new DomainError(
          'REFERRAL_TRANSITION_INVALID',
          `referral ${command.data.referralId} cannot move from ${referral.state} to ${step.to}`,
        );
      }
      break;
    }
    case 'ResourceLinked':
      break;
    case 'CaseTransferred': {
      const to = command.data.toOrganisationId ?? owner;
      if (command.data.toOrganisationId !== undefined) checkOrganisationRegistered(ctx, to);
      checkWorkerOf(ctx, command.data.toWorkerId, to);
      // A transfer that hands the case to no one new would only muddle the case's history.
      if (command.data.toWorkerId === state.workerId) {
        throw new DomainError(
          'CASE_ALREADY_WITH_WORKER',
          `the case is already with worker ${state.workerId}`,
        );
      }
      break;
    }
    case 'CaseClosed':
      break;
    case 'CaseReopened':
      if (state.status !== 'closed') throw new DomainError('CASE_NOT_CLOSED');
      break;
    case 'EntryVoided': {
      const target = state.entries[command.data.targetEventId];
      if (!target) {
        throw new DomainError('ENTRY_NOT_FOUND', `event ${command.data.targetEventId} is not in this case`);
      }
      const notVoidable = NOT_VOIDABLE[target.type];
      if (notVoidable) throw new DomainError('ENTRY_NOT_VOIDABLE', `${target.type}: ${notVoidable}`);
      if (target.voided) throw new DomainError('ENTRY_ALREADY_VOIDED');
      break;
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
  return [toEvent(command)];
}

/**
 * Whether a share_with_other_organisations consent was in force at `at`: given at or before it
 * and not withdrawn by then (the consents dated up to `at`, in time order), its last day (CST)
 * that day or later. A referral dated before the consent was given is not covered by it, nor
 * one dated after its last day; one dated within it is, however late it is recorded.
 */
export function hasConsentToShare(state: CaseState, at: string): boolean {
  const when = Date.parse(at);
  const dated = state.consentLog
    .filter((c) => c.scope === 'share_with_other_organisations' && Date.parse(c.occurredAt) <= when)
    .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  const last = dated.at(-1);
  if (last?.kind !== 'recorded') return false;
  return last.expiresOn === null || last.expiresOn >= cstDay(new Date(when));
}

/** The event an envelope records: what the sender said happened, without transport fields. */
export function toEvent<C extends Envelope>(command: C): Extract<DomainEvent, { type: C['type'] }> {
  return {
    type: command.type,
    eventId: command.eventId,
    occurredAt: command.occurredAt,
    data: command.data,
  } as Extract<DomainEvent, { type: C['type'] }>;
}

/**
 * The registrations a command names, so the caller can look them up and hand them to the
 * decider in its context. `past` (the target stream's state) matters only for voiding a
 * group activity entry, whose workers are named by the activity, not the command.
 */
export function referencedIds(
  command: Envelope,
  past?: StreamState,
): { workerIds: string[]; projectIds: string[]; organisationIds: string[] } {
  const workerIds: string[] = [];
  const projectIds: string[] = [];
  const organisationIds: string[] = [];
  switch (command.type) {
    case 'IntakeRecorded':
      workerIds.push(command.data.workerId);
      organisationIds.push(command.data.organisationId);
      if (command.data.projectId !== undefined) projectIds.push(command.data.projectId);
      break;
    case 'AssessmentRecorded':
    case 'VisitRecorded':
      workerIds.push(command.data.workerId);
      break;
    case 'CasePlanRecorded':
      if (command.data.approvedBy !== undefined) workerIds.push(command.data.approvedBy);
      break;
    case 'CaseTransferred':
      workerIds.push(command.data.toWorkerId);
      if (command.data.toOrganisationId !== undefined) organisationIds.push(command.data.toOrganisationId);
      break;
    case 'OrganisationRegistered':
      if (command.data.parentOrganisationId !== undefined) {
        organisationIds.push(command.data.parentOrganisationId);
      }
      break;
    case 'WorkerRegistered':
    case 'ProjectRegistered':
      organisationIds.push(command.data.organisationId);
      break;
    case 'WorkerCertified':
      workerIds.push(command.data.workerId);
      break;
    case 'GroupActivityRecorded':
      workerIds.push(...command.data.workerIds);
      projectIds.push(command.data.projectId);
      break;
    case 'SupervisionRecorded':
      workerIds.push(command.data.supervisorId, command.data.superviseeId);
      break;
    case 'EntryVoided':
      if (command.data.activityId !== undefined) workerIds.push(...(past?.other.activity?.workerIds ?? []));
      break;
    case 'ConsentRecorded':
    case 'ConsentWithdrawn':
    case 'ReferralMade':
    case 'ReferralAccepted':
    case 'ReferralDeclined':
    case 'ReferralCompleted':
    case 'ReferralCancelled':
    case 'ResourceLinked':
    case 'CaseClosed':
    case 'CaseReopened':
    case 'PersonalDataErased':
      break;
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
  return {
    workerIds: unique(workerIds),
    projectIds: unique(projectIds),
    organisationIds: unique(organisationIds),
  };
}

function unique(ids: string[]): string[] {
  return ids.length < 2 ? ids : [...new Set(ids)];
}
