import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceInstancesOf } from '../counting';
import { caseStateOf, decideEnvelope } from '../decide';
import type { DomainEvent, Envelope } from '../events';
import { DomainError } from '../shared/errors';
import {
  AGENCY_A,
  AGENCY_B,
  closeData,
  cmd,
  ev,
  intakeData,
  referralData,
  resourceData,
  visitData,
} from '../testing/fixtures';
import type { CaseEvent } from './case.events';
import { evolve, initialState } from './case.state';

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

const step = fc.record({
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
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** A syntactically valid case command for a step, naming earlier events where it needs one. */
function commandFor(s: Step, past: DomainEvent[]): Envelope {
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

/** Runs the steps through the decider, keeping what it accepts; every refusal must be a DomainError. */
function run(
  steps: Step[],
  onDecision?: (closedBefore: boolean, events: DomainEvent[]) => void,
): DomainEvent[] {
  const stream: DomainEvent[] = [];
  for (const s of steps) {
    const before = caseStateOf(stream);
    let events: DomainEvent[] = [];
    try {
      events = decideEnvelope(commandFor(s, stream), stream, s.asB ? AGENCY_B : AGENCY_A);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    onDecision?.(before.status === 'closed', events);
    stream.push(...events);
  }
  return stream;
}

const steps = fc.array(step, { minLength: 1, maxLength: 40 });
// Most sequences should open the case, or the decider refuses everything after.
const opened = fc
  .tuple(steps, steps)
  .map(([a, b]) => [{ ...a[0]!, kind: 'IntakeRecorded', worker: 'w-a1', asB: false } as Step, ...b]);

describe('case properties', () => {
  it('evolve never throws and counts exactly the non-voided entries', () => {
    fc.assert(
      fc.property(opened, (s) => {
        const stream = run(s);
        const state = caseStateOf(stream);
        const voided = new Set(
          stream.flatMap((e) => (e.type === 'EntryVoided' ? [e.data.targetEventId] : [])),
        );
        const live = stream.filter((e) => !voided.has(e.eventId));
        expect(state.version).toBe(stream.length);
        // The linear fold and event-by-event `evolve` agree.
        expect(stream.reduce((st, e) => evolve(st, e as CaseEvent), initialState())).toEqual(state);
        expect(state.counts.serviceInstances).toBe(live.reduce((n, e) => n + serviceInstancesOf(e), 0));
        expect(state.counts.visits).toBe(live.filter((e) => e.type === 'VisitRecorded').length);
        expect(state.counts.serviceInstances).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('evolve never throws even on sequences the decider would refuse', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const stream: DomainEvent[] = [];
        for (const x of s) stream.push(ev(commandFor(x, stream)));
        expect(caseStateOf(stream).version).toBe(stream.length);
      }),
      { numRuns: 200 },
    );
  });

  it('decide returns nothing for a closed case but a reopening or a void', () => {
    let closedDecisions = 0;
    fc.assert(
      fc.property(opened, (s) => {
        run(s, (closedBefore, events) => {
          if (!closedBefore) return;
          closedDecisions += 1;
          for (const e of events) expect(['CaseReopened', 'EntryVoided']).toContain(e.type);
        });
      }),
      { numRuns: 300 },
    );
    // The property must have been exercised, not passed vacuously.
    expect(closedDecisions).toBeGreaterThan(50);
  });
});
