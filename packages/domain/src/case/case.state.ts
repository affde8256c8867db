import type { z } from 'zod';
import { serviceInstancesOf } from '../counting';
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
    referrals: {},
    goals: [],
    planApprovedBy: null,
    entries: {},
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
 * - Referral steps, CaseTransferred, CaseClosed, CaseReopened: only marked voided. Status,
 *   ownership and referral states follow these facts; to undo one, record the opposite
 *   fact (CaseReopened, a transfer back, ReferralCancelled) so the history says why.
 * - IntakeRecorded, EntryVoided: cannot be voided (the decider refuses it).
 */
export function evolve(state: CaseState, event: CaseEvent): CaseState {
  const entry: EntryInfo = {
    type: event.type,
    occurredAt: event.occurredAt,
    voided: false,
    serviceInstances: serviceInstancesOf(event),
  };
  const next: CaseState = {
    ...state,
    entries: { ...state.entries, [event.eventId]: entry },
    version: state.version + 1,
  };
  switch (event.type) {
    case 'IntakeRecorded': {
      const d = event.data;
      return {
        ...next,
        status: 'open',
        organisationId: d.organisationId,
        workerId: d.workerId,
        projectId: d.projectId ?? null,
        communityCode: d.communityCode,
        clientRef: d.client.clientRef,
        targetGroups: [...d.targetGroups],
        needs: [...d.needs],
        intakeRiskLevel: d.riskLevel,
        riskLevel: state.latestAssessment?.riskLevel ?? d.riskLevel,
        openedAt: event.occurredAt,
      };
    }
    case 'ConsentRecorded':
    case 'ConsentWithdrawn': {
      const consentLog = [
        ...state.consentLog,
        {
          eventId: event.eventId,
          kind: event.type === 'ConsentRecorded' ? ('recorded' as const) : ('withdrawn' as const),
          scope: event.data.scope,
          signatory: event.data.signatory,
          expiresOn: event.type === 'ConsentRecorded' ? (event.data.expiresOn ?? null) : null,
        },
      ];
      return { ...next, consentLog, consents: consentsFrom(consentLog) };
    }
    case 'AssessmentRecorded': {
      const assessments = [
        ...state.assessments,
        {
          eventId: event.eventId,
          occurredAt: event.occurredAt,
          workerId: event.data.workerId,
          scores: { ...event.data.scores },
          riskLevel: event.data.riskLevel,
        },
      ];
      return { ...next, assessments, ...assessmentFacts(assessments, state.intakeRiskLevel) };
    }
    case 'CasePlanRecorded': {
      const plans = [
        ...state.plans,
        {
          eventId: event.eventId,
          goals: event.data.goals.map((g) => ({ ...g })),
          approvedBy: event.data.approvedBy ?? null,
        },
      ];
      return { ...next, plans, ...planFacts(plans) };
    }
    case 'VisitRecorded':
      return {
        ...next,
        counts: {
          ...state.counts,
          visits: state.counts.visits + 1,
          serviceInstances: state.counts.serviceInstances + entry.serviceInstances,
        },
        lastVisitAt: later(state.lastVisitAt, event.occurredAt),
      };
    case 'ResourceLinked':
      return {
        ...next,
        counts: {
          ...state.counts,
          resourcesLinked: state.counts.resourcesLinked + 1,
          serviceInstances: state.counts.serviceInstances + entry.serviceInstances,
        },
      };
    case 'ReferralMade':
      return {
        ...next,
        referrals: {
          ...state.referrals,
          [event.data.referralId]: {
            state: 'requested',
            toOrganisation: event.data.toOrganisation,
            service: event.data.service,
            urgency: event.data.urgency,
            madeAt: event.occurredAt,
          },
        },
      };
    case 'ReferralAccepted':
      return { ...next, referrals: moveReferral(state.referrals, event.data.referralId, 'accepted') };
    case 'ReferralDeclined':
      return { ...next, referrals: moveReferral(state.referrals, event.data.referralId, 'declined') };
    case 'ReferralCompleted':
      return { ...next, referrals: moveReferral(state.referrals, event.data.referralId, 'completed') };
    case 'ReferralCancelled':
      return { ...next, referrals: moveReferral(state.referrals, event.data.referralId, 'cancelled') };
    case 'CaseTransferred':
      return {
        ...next,
        organisationId: event.data.toOrganisationId ?? state.organisationId,
        workerId: event.data.toWorkerId,
        counts: { ...state.counts, transfers: state.counts.transfers + 1 },
      };
    case 'CaseClosed':
      return {
        ...next,
        status: 'closed',
        closedAt: event.occurredAt,
        closure: {
          reason: event.data.reason,
          goalAttainment: event.data.goalAttainment,
          summary: event.data.summary ?? null,
        },
      };
    case 'CaseReopened':
      return {
        ...next,
        status: 'open',
        closedAt: null,
        closure: null,
        counts: { ...state.counts, reopenings: state.counts.reopenings + 1 },
      };
    case 'EntryVoided':
      return voidEntry(next, event.data.targetEventId);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** Folds `evolve` over a case stream's events, from the initial state. */
export function replay(events: readonly CaseEvent[]): CaseState {
  let state = initialState();
  for (const event of events) state = evolve(state, event);
  return state;
}

function voidEntry(state: CaseState, targetEventId: string): CaseState {
  const target = state.entries[targetEventId];
  // A replay cut short (stateAt) may hold the void without its target: nothing to undo.
  if (!target || target.voided) return state;
  const entries = { ...state.entries, [targetEventId]: { ...target, voided: true } };
  const counts = {
    ...state.counts,
    serviceInstances: state.counts.serviceInstances - target.serviceInstances,
  };
  const next: CaseState = { ...state, entries, counts };
  switch (target.type) {
    case 'VisitRecorded': {
      let lastVisitAt: string | null = null;
      for (const e of Object.values(entries)) {
        if (e.type === 'VisitRecorded' && !e.voided) lastVisitAt = later(lastVisitAt, e.occurredAt);
      }
      return { ...next, counts: { ...counts, visits: counts.visits - 1 }, lastVisitAt };
    }
    case 'ResourceLinked':
      return { ...next, counts: { ...counts, resourcesLinked: counts.resourcesLinked - 1 } };
    case 'AssessmentRecorded': {
      const assessments = state.assessments.filter((a) => a.eventId !== targetEventId);
      return { ...next, assessments, ...assessmentFacts(assessments, state.intakeRiskLevel) };
    }
    case 'CasePlanRecorded': {
      const plans = state.plans.filter((p) => p.eventId !== targetEventId);
      return { ...next, plans, ...planFacts(plans) };
    }
    case 'ConsentRecorded':
    case 'ConsentWithdrawn': {
      const consentLog = state.consentLog.filter((c) => c.eventId !== targetEventId);
      return { ...next, consentLog, consents: consentsFrom(consentLog) };
    }
    default:
      return next;
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

function moveReferral(
  referrals: CaseState['referrals'],
  referralId: string,
  to: ReferralState,
): CaseState['referrals'] {
  const referral = referrals[referralId];
  if (!referral) return referrals;
  return { ...referrals, [referralId]: { ...referral, state: to } };
}

function later(a: string | null, b: string): string {
  return a === null || Date.parse(b) > Date.parse(a) ? b : a;
}
