import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideEnvelope,
  decideOn,
  hasEvent,
  initialStreamState,
  StreamDraft,
  type StreamState,
  streamStateOf,
} from './decide';
import type { DomainEvent, Envelope } from './events';
import { DomainError } from './shared/errors';
import { caseCommandFor, caseStep, otherCommandFor, otherStep } from './testing/arbitraries';
import { ADMIN, AGENCY_A, AGENCY_B, uuid } from './testing/fixtures';

// Case and other-stream steps mixed in one stream: each fold must read its own events only.
const step = fc.oneof(
  { weight: 3, arbitrary: caseStep.map((s) => ({ ...s, stream: 'case' as const })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(otherStep, fc.constantFrom(AGENCY_A, AGENCY_B, ADMIN))
      .map(([s, ctx]) => ({ ...s, stream: 'other' as const, ctx })),
  },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

const opening = caseStep.map((s) => ({
  ...s,
  kind: 'IntakeRecorded' as const,
  worker: 'w-a1' as const,
  asB: false,
  stream: 'case' as const,
}));
const histories = fc
  .tuple(opening, fc.array(step, { maxLength: 40 }))
  .map(([first, rest]) => [first, ...rest]);

function commandOf(s: Step, past: readonly DomainEvent[]): Envelope {
  return s.stream === 'case' ? caseCommandFor(s, past) : otherCommandFor(s, past);
}
const ctxOf = (s: Step) => (s.stream === 'case' ? (s.asB ? AGENCY_B : AGENCY_A) : s.ctx);

type Outcome = { events: DomainEvent[] } | { refused: string };
function outcomeOf(run: () => DomainEvent[]): Outcome {
  try {
    return { events: run() };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { refused: error.code };
  }
}

/** Freezes every object reachable from `value`, so a write into it throws (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('deciding on a kept stream state', () => {
  it('gives the same events and refusals as folding the history from scratch for every command', () => {
    fc.assert(
      fc.property(histories, (steps) => {
        const stream: DomainEvent[] = [];
        const draft = new StreamDraft(initialStreamState());
        for (const s of steps) {
          const command = commandOf(s, stream);
          const fromScratch = outcomeOf(() => decideEnvelope(command, stream, ctxOf(s)));
          const incremental = outcomeOf(() => decideOn(command, draft.state, ctxOf(s)));
          expect(incremental).toEqual(fromScratch);
          if ('events' in fromScratch) {
            stream.push(...fromScratch.events);
            for (const event of fromScratch.events) draft.apply(event);
          }
        }
        expect(draft.state).toEqual(streamStateOf(stream));
        for (const event of stream) expect(hasEvent(draft.state, event.eventId)).toBe(true);
        expect(hasEvent(draft.state, uuid(0xdead))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never writes into the state a draft was made from, whatever is decided on the draft', () => {
    let applied = 0;
    fc.assert(
      fc.property(histories, fc.array(step, { minLength: 1, maxLength: 20 }), (past, batch) => {
        const stream: DomainEvent[] = [];
        let draft = new StreamDraft(initialStreamState());
        for (const s of past) {
          const outcome = outcomeOf(() => decideOn(commandOf(s, stream), draft.state, ctxOf(s)));
          if ('events' in outcome) {
            stream.push(...outcome.events);
            for (const event of outcome.events) draft.apply(event);
          }
        }
        // The kept state, frozen: a write into it by a later draft throws and fails the property.
        const kept: StreamState = deepFreeze(draft.state);
        const copy = structuredClone(kept);
        draft = new StreamDraft(kept);
        const later = [...stream];
        for (const s of batch) {
          const outcome = outcomeOf(() => decideOn(commandOf(s, later), draft.state, ctxOf(s)));
          if ('events' in outcome) {
            later.push(...outcome.events);
            for (const event of outcome.events) draft.apply(event);
            applied += outcome.events.length;
          }
        }
        expect(kept).toEqual(copy);
        expect(kept).toEqual(streamStateOf(stream));
        expect(draft.state).toEqual(streamStateOf(later));
      }),
      { numRuns: 200 },
    );
    // The drafts must have changed something, or the property held vacuously.
    expect(applied).toBeGreaterThan(50);
  });
});
