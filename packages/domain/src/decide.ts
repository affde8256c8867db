import { type CaseCommand, decide } from './case/case.decider';
import type { CaseEvent } from './case/case.events';
import { apply, type CaseState, draftOf, initialState } from './case/case.state';
import { type DomainEvent, type Envelope, isCaseEventType } from './events';
import {
  applyOther,
  decideOther,
  draftOtherOf,
  initialOtherState,
  type OtherCommand,
  type OtherEvent,
  type OtherStreamState,
} from './registry/registry.decider';
import type { DecideContext } from './shared/decide-context';

/** True when the envelope goes to a case stream (an EntryVoided with an activityId does not). */
export function isCaseCommand(command: Envelope): command is CaseCommand {
  if (!isCaseEventType(command.type)) return false;
  return !(command.type === 'EntryVoided' && command.data.activityId !== undefined);
}

/**
 * The one entry point of the write side: folds the target stream's past events into its
 * state and decides the command against it. Returns the events to append; throws a
 * DomainError (with a registry code) when a rule is broken, and then nothing is appended.
 *
 * @example
 *   const events = decideEnvelope(envelope, await readStream(streamIdFor(envelope)), ctx);
 */
export function decideEnvelope(
  command: Envelope,
  pastEvents: DomainEvent[],
  ctx: DecideContext,
): DomainEvent[] {
  if (isCaseCommand(command)) return decide(command, caseStateOf(pastEvents), ctx);
  return decideOther(command as OtherCommand, otherStateOf(pastEvents), ctx);
}

/** The state of a case stream from its events. Events of other types are ignored. */
export function caseStateOf(events: readonly DomainEvent[]): CaseState {
  let state = draftOf(initialState());
  for (const event of events) if (isCaseEventType(event.type)) state = apply(state, event as CaseEvent);
  return state;
}

/** The state of a non-case stream from its events. */
export function otherStateOf(events: readonly DomainEvent[]): OtherStreamState {
  let state = draftOtherOf(initialOtherState());
  for (const event of events) {
    if (!isCaseEventType(event.type) || event.type === 'EntryVoided') {
      state = applyOther(state, event as OtherEvent);
    }
  }
  return state;
}

/**
 * A case's state at a past moment, for reviewers. Events come in stream order; `version`
 * keeps the first that many events, `asOf` keeps the events whose occurredAt is at or
 * before it (a late-recorded, earlier-dated entry is included, a later-dated one is not).
 * Both may be given; an event must pass both.
 */
export function stateAt(events: DomainEvent[], opts: { asOf?: Date; version?: number }): CaseState {
  const limit = opts.version ?? Number.POSITIVE_INFINITY;
  const until = opts.asOf?.getTime() ?? Number.POSITIVE_INFINITY;
  let state = draftOf(initialState());
  for (let i = 0; i < events.length && i < limit; i++) {
    const event = events[i];
    if (!event || !isCaseEventType(event.type)) continue;
    if (Date.parse(event.occurredAt) > until) continue;
    state = apply(state, event as CaseEvent);
  }
  return state;
}
