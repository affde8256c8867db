import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceInstancesOf } from '../counting';
import { caseStateOf, decideEnvelope } from '../decide';
import type { DomainEvent } from '../events';
import { DomainError } from '../shared/errors';
import { type CaseStep, caseCommandFor, caseStep } from '../testing/arbitraries';
import { AGENCY_A, AGENCY_B, ev } from '../testing/fixtures';
import type { CaseEvent } from './case.events';
import { evolve, initialState } from './case.state';

/** Runs the steps through the decider, keeping what it accepts; every refusal must be a DomainError. */
function run(
  steps: CaseStep[],
  onDecision?: (closedBefore: boolean, events: DomainEvent[]) => void,
): DomainEvent[] {
  const stream: DomainEvent[] = [];
  for (const s of steps) {
    const before = caseStateOf(stream);
    let events: DomainEvent[] = [];
    try {
      events = decideEnvelope(caseCommandFor(s, stream), stream, s.asB ? AGENCY_B : AGENCY_A);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    onDecision?.(before.status === 'closed', events);
    stream.push(...events);
  }
  return stream;
}

const steps = fc.array(caseStep, { minLength: 1, maxLength: 40 });
// Most sequences should open the case, or the decider refuses everything after.
const opened = fc
  .tuple(steps, steps)
  .map(([a, b]) => [{ ...a[0]!, kind: 'IntakeRecorded', worker: 'w-a1', asB: false } as CaseStep, ...b]);

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
        for (const x of s) stream.push(ev(caseCommandFor(x, stream)));
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
