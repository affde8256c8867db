import type { z } from 'zod';
import { serviceInstancesOf } from '../counting';
import { idRecord } from '../shared/id-record';
import type { RiskLevel, TargetGroup } from '../shared/primitives';
import type {
  CaseClosedSchema,
  CaseEvent,
  CaseEventData,
  CaseEventType,
  ConsentScopeSchema,
} from './case.events';

export type CaseStatus = 'not_opened' | 'open' | 'closed';
export type ConsentScope = z.infer<typeof ConsentScopeSchema>;
export type ReferralState = 'requested' | 'accepted' | 'declined' | 'completed' | 'cancelled';
export type ClosureReason = z.infer<typeof CaseClosedSchema>['reason'];

export interface ConsentState {
  /** Given and not withdrawn; whether it has expired depends on the day it is asked. */
  active: boolean;
  signatory: 'client' | 'guardian';
  /** Last day the consent holds (China Standard Time), or null for no end. */
  expiresOn: string | null;
}

export interface ReferralInfo {
  state: ReferralState;
  toOrganisation: string;
  service: CaseEventData<'ReferralMade'>['service'];
  urgency: 'routine' | 'urgent';
  madeAt: string;
}

export interface EntryInfo {
  type: CaseEventType;
  occurredAt: string;
  voided: boolean;
  /** What this entry counts under the counting rule while it is not voided. */
  serviceInstances: number;
}

export interface AssessmentInfo {
  eventId: string;
  occurredAt: string;
  workerId: string;
  scores: Record<string, number>;
  riskLevel: RiskLevel;
}

export interface Goal {
  goalId: string;
  need: string;
  description: string;
}

/**
 * A case as its stream tells it. Plain JSON (records, strings, numbers, null) so the
 * reviewer's "state as of" endpoint can answer it as it is.
 */
export interface CaseState {
  status: CaseStatus;
  /** The organisation that owns the case now (changes with a transfer to another organisation). */
  organisationId: string | null;
  /** The responsible worker now. */
  workerId: string | null;
  projectId: string | null;
  communityCode: string | null;
  clientRef: string | null;
  targetGroups: TargetGroup[];
  needs: string[];
  /** The risk level of the latest non-voided assessment, else of the intake. */
  riskLevel: RiskLevel | null;
  consents: Partial<Record<ConsentScope, ConsentState>>;
  referrals: Record<string, ReferralInfo>;
  /** The goals of the latest non-voided case plan. */
  goals: Goal[];
  planApprovedBy: string | null;
  /** Every event of the stream by eventId, so that EntryVoided can be checked. */
  entries: Record<string, EntryInfo>;
  firstAssessment: AssessmentInfo | null;
  latestAssessment: AssessmentInfo | null;
  counts: {
    visits: number;
    resourcesLinked: number;
    /** Sum of `serviceInstancesOf` over the non-voided entries. */
    serviceInstances: number;
    transfers: number;
    reopenings: number;
  };
  openedAt: string | null;
  closedAt: string | null;
  closure: { reason: ClosureReason; goalAttainment: number; summary: string | null } | null;
  /** occurredAt of the latest non-voided visit. */
  lastVisitAt: string | null;
  /** Number of events applied. */
  version: number;
  /*
   * Logs the derived fields above are recomputed from when an entry is voided. They hold
   * codes and ids only, never personal data.
   */
  intakeRiskLevel: RiskLevel | null;
  assessments: AssessmentInfo[];
  plans: Array<{ eventId: string; goals: Goal[]; approvedBy: string | null }>;
  consentLog: Array<{
    eventId: string;
    occurredAt: string;
    kind: 'recorded' | 'withdrawn';
    scope: ConsentScope;
    signatory: 'client' | 'guardian';
    expiresOn: string | null;
  }>;
}

export function initialState(): CaseState {
  return {
    status: 'not_opened',
    organisationId: null,
    workerId: null,
    projectId: null,
    communityCode: null,
    clientRef: null,
    targetGroups: [],
    needs: [],
    riskLevel: null,
    consents: {},
    referrals: idRecord(),
    goals: [],
    planApprovedBy: null,
    entries: idRecord(),
    firstAssessment: null,
    latestAssessment: null,
    counts: { visits: 0, resourcesLinked: 0, serviceInstances: 0, transfers: 0, reopenings: 0 },
    openedAt: null,
    closedAt: null,
    closure: null,
    lastVisitAt: null,
    version: 0,
    intakeRiskLevel: null,
    assessments: [],
    plans: [],
    consentLog: [],
  };
}

/**
 * Applies one event. Never throws: the decider has checked the rules before the event
 * was appended, and a replay must show whatever the stream holds.
 *
 * What voiding an entry (EntryVoided) means in state, by the target's type:
 * - VisitRecorded, ResourceLinked: no longer counted (visits, resourcesLinked,
 *   serviceInstances) and a voided visit no longer sets lastVisitAt.
 * - AssessmentRecorded: dropped from first/latest assessment; riskLevel falls back to the
 *   latest remaining assessment, else the intake's.
 * - CasePlanRecorded: goals and approver fall back to the latest remaining plan.
 * - ConsentRecorded / ConsentWithdrawn: consents are recomputed from the remaining ones,
 *   so voiding a withdrawal makes the consent active again.
 * - IntakeRecorded, EntryVoided, CaseClosed, CaseReopened, CaseTransferred, ReferralMade and
 *   the referral steps: cannot be voided (the decider refuses it: status, ownership and
 *   referral states follow these facts, and each is undone by recording the opposite fact —
 *   CaseReopened, a transfer back, ReferralCancelled — so the history says why). A stream
 *   written before that rule may hold such a void: it is only marked voided.
 */
export function evolve(state: CaseState, event: CaseEvent): CaseState {
  return apply(draftOf(state), event);
}

/**
 * Folds `evolve` over a case stream's events, from `from` (the initial state by default).
 * Linear in the number of events: one copy, then each event is applied to it in place.
 */
export function replay(events: Iterable<CaseEvent>, from: CaseState = initialState()): CaseState {
  let state = draftOf(from);
  for (const event of events) state = apply(state, event);
  return state;
}

/**
 * A copy of `state` whose collections the fold may change in place. Entry, referral and
 * consent objects are replaced, never changed, so a shallow copy of each collection is enough.
 */
export function draftOf(state: CaseState): CaseState {
  return {
    ...state,
    targetGroups: [...state.targetGroups],
    needs: [...state.needs],
    consents: { ...state.consents },
    referrals: idRecord(state.referrals),
    goals: [...state.goals],
    entries: idRecord(state.entries),
    counts: { ...state.counts },
    assessments: [...state.assessments],
    plans: [...state.plans],
    consentLog: [...state.consentLog],
  };
}

/** Applies one event to a draft (see `draftOf`), changing it in place. */
export function apply(s: CaseState, event: CaseEvent): CaseState {
  const entry: EntryInfo = {
    type: event.type,
    occurredAt: event.occurredAt,
    voided: false,
    serviceInstances: serviceInstancesOf(event),
  };
  s.entries[event.eventId] = entry;
  s.version += 1;
  switch (event.type) {
    case 'IntakeRecorded': {
      const d = event.data;
      s.status = 'open';
      s.organisationId = d.organisationId;
      s.workerId = d.workerId;
      s.projectId = d.projectId ?? null;
      s.communityCode = d.communityCode;
      s.clientRef = d.client.clientRef;
      s.targetGroups = [...d.targetGroups];
      s.needs = [...d.needs];
      s.intakeRiskLevel = d.riskLevel;
      s.riskLevel = s.latestAssessment?.riskLevel ?? d.riskLevel;
      s.openedAt = event.occurredAt;
      return s;
    }
    case 'ConsentRecorded':
    case 'ConsentWithdrawn':
      s.consentLog.push({
        eventId: event.eventId,
        occurredAt: event.occurredAt,
        kind: event.type === 'ConsentRecorded' ? 'recorded' : 'withdrawn',
        scope: event.data.scope,
        signatory: event.data.signatory,
        expiresOn: event.type === 'ConsentRecorded' ? (event.data.expiresOn ?? null) : null,
      });
      s.consents = consentsFrom(s.consentLog);
      return s;
    case 'AssessmentRecorded':
      s.assessments.push({
        eventId: event.eventId,
        occurredAt: event.occurredAt,
        workerId: event.data.workerId,
        scores: { ...event.data.scores },
        riskLevel: event.data.riskLevel,
      });
      return Object.assign(s, assessmentFacts(s.assessments, s.intakeRiskLevel));
    case 'CasePlanRecorded':
      s.plans.push({
        eventId: event.eventId,
        goals: event.data.goals.map((g) => ({ ...g })),
        approvedBy: event.data.approvedBy ?? null,
      });
      return Object.assign(s, planFacts(s.plans));
    case 'VisitRecorded':
      s.counts.visits += 1;
      s.counts.serviceInstances += entry.serviceInstances;
      s.lastVisitAt = later(s.lastVisitAt, event.occurredAt);
      return s;
    case 'ResourceLinked':
      s.counts.resourcesLinked += 1;
      s.counts.serviceInstances += entry.serviceInstances;
      return s;
    case 'ReferralMade':
      s.referrals[event.data.referralId] = {
        state: 'requested',
        toOrganisation: event.data.toOrganisation,
        service: event.data.service,
        urgency: event.data.urgency,
        madeAt: event.occurredAt,
      };
      return s;
    case 'ReferralAccepted':
      return moveReferral(s, event.data.referralId, 'accepted');
    case 'ReferralDeclined':
      return moveReferral(s, event.data.referralId, 'declined');
    case 'ReferralCompleted':
      return moveReferral(s, event.data.referralId, 'completed');
    case 'ReferralCancelled':
      return moveReferral(s, event.data.referralId, 'cancelled');
    case 'CaseTransferred':
      s.organisationId = event.data.toOrganisationId ?? s.organisationId;
      s.workerId = event.data.toWorkerId;
      s.counts.transfers += 1;
      return s;
    case 'CaseClosed':
      s.status = 'closed';
      s.closedAt = event.occurredAt;
      s.closure = {
        reason: event.data.reason,
        goalAttainment: event.data.goalAttainment,
        summary: event.data.summary ?? null,
      };
      return s;
    case 'CaseReopened':
      s.status = 'open';
      s.closedAt = null;
      s.closure = null;
      s.counts.reopenings += 1;
      return s;
    case 'EntryVoided':
      return voidEntry(s, event.data.targetEventId);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

function voidEntry(s: CaseState, targetEventId: string): CaseState {
  const target = s.entries[targetEventId];
  // A replay cut short (stateAt) may hold the void without its target: nothing to undo.
  if (!target || target.voided) return s;
  s.entries[targetEventId] = { ...target, voided: true };
  s.counts.serviceInstances -= target.serviceInstances;
  switch (target.type) {
    case 'VisitRecorded':
      s.counts.visits -= 1;
      s.lastVisitAt = null;
      for (const e of Object.values(s.entries)) {
        if (e.type === 'VisitRecorded' && !e.voided) s.lastVisitAt = later(s.lastVisitAt, e.occurredAt);
      }
      return s;
    case 'ResourceLinked':
      s.counts.resourcesLinked -= 1;
      return s;
    case 'AssessmentRecorded':
      s.assessments = s.assessments.filter((a) => a.eventId !== targetEventId);
      return Object.assign(s, assessmentFacts(s.assessments, s.intakeRiskLevel));
    case 'CasePlanRecorded':
      s.plans = s.plans.filter((p) => p.eventId !== targetEventId);
      return Object.assign(s, planFacts(s.plans));
    case 'ConsentRecorded':
    case 'ConsentWithdrawn':
      s.consentLog = s.consentLog.filter((c) => c.eventId !== targetEventId);
      s.consents = consentsFrom(s.consentLog);
      return s;
    default:
      return s;
  }
}

function assessmentFacts(
  assessments: AssessmentInfo[],
  intakeRiskLevel: RiskLevel | null,
): Pick<CaseState, 'firstAssessment' | 'latestAssessment' | 'riskLevel'> {
  const latest = assessments.at(-1) ?? null;
  return {
    firstAssessment: assessments[0] ?? null,
    latestAssessment: latest,
    riskLevel: latest?.riskLevel ?? intakeRiskLevel,
  };
}

function planFacts(plans: CaseState['plans']): Pick<CaseState, 'goals' | 'planApprovedBy'> {
  const latest = plans.at(-1);
  return { goals: latest?.goals ?? [], planApprovedBy: latest?.approvedBy ?? null };
}

function consentsFrom(log: CaseState['consentLog']): CaseState['consents'] {
  const consents: CaseState['consents'] = {};
  for (const c of log) {
    if (c.kind === 'recorded') {
      consents[c.scope] = { active: true, signatory: c.signatory, expiresOn: c.expiresOn };
    } else {
      const given = consents[c.scope];
      if (given) consents[c.scope] = { ...given, active: false };
    }
  }
  return consents;
}

function moveReferral(s: CaseState, referralId: string, to: ReferralState): CaseState {
  const referral = s.referrals[referralId];
  if (referral) s.referrals[referralId] = { ...referral, state: to };
  return s;
}

function later(a: string | null, b: string): string {
  return a === null || Date.parse(b) > Date.parse(a) ? b : a;
}
