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

/** The events the case fold reads: case event types (an activity's EntryVoided too, to no effect). */
function readsCase(event: DomainEvent): event is CaseEvent {
  return isCaseEventType(event.type);
}

/** The events the other streams' fold reads: every other type, and EntryVoided. */
function readsOther(event: DomainEvent): event is OtherEvent {
  return !isCaseEventType(event.type) || event.type === 'EntryVoided';
}

/**
 * A stream's past as the deciders see it: the case fold and the other streams' fold, each over
 * the events it reads (so each event is in the `entries` of one of them at least). Treated as
 * immutable: `StreamDraft` copies a view before it changes it.
 */
export interface StreamState {
  readonly case: CaseState;
  readonly other: OtherStreamState;
}

export function initialStreamState(): StreamState {
  return { case: initialState(), other: initialOtherState() };
}

/** The state of a stream from its events, in one linear pass. */
export function streamStateOf(events: readonly DomainEvent[]): StreamState {
  const draft = new StreamDraft(initialStreamState());
  for (const event of events) draft.apply(event);
  return draft.state;
}

/** True when an event with this id is in the stream the state was folded from. */
export function hasEvent(state: StreamState, eventId: string): boolean {
  return Object.hasOwn(state.case.entries, eventId) || Object.hasOwn(state.other.entries, eventId);
}

/**
 * A working copy of a stream's state for deciding commands one after the other (the items of a
 * batch): decide each against `state`, then `apply` the events decided. Each view is copied
 * once, when first changed, so the state the draft was made from is never written and stays
 * valid whatever becomes of the draft. After `state` has been handed on (cached), stop applying.
 */
export class StreamDraft {
  private caseView: CaseState;
  private otherView: OtherStreamState;
  private caseCopied = false;
  private otherCopied = false;

  constructor(from: StreamState) {
    this.caseView = from.case;
    this.otherView = from.other;
  }

  get state(): StreamState {
    return { case: this.caseView, other: this.otherView };
  }

  apply(event: DomainEvent): void {
    if (readsCase(event)) {
      if (!this.caseCopied) {
        this.caseView = draftOf(this.caseView);
        this.caseCopied = true;
      }
      this.caseView = apply(this.caseView, event);
    }
    if (readsOther(event)) {
      if (!this.otherCopied) {
        this.otherView = draftOtherOf(this.otherView);
        this.otherCopied = true;
      }
      this.otherView = applyOther(this.otherView, event);
    }
  }
}

/**
 * Decides a command against a stream's folded past (see `StreamState`): the incremental form
 * of `decideEnvelope`, for a writer that keeps the state rather than the events.
 */
export function decideOn(command: Envelope, state: StreamState, ctx: DecideContext): DomainEvent[] {
  if (isCaseCommand(command)) return decide(command, state.case, ctx);
  return decideOther(command as OtherCommand, state.other, ctx);
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
  pastEvents: readonly DomainEvent[],
  ctx: DecideContext,
): DomainEvent[] {
  return decideOn(command, streamStateOf(pastEvents), ctx);
}

/** The state of a case stream from its events. Events of other types are ignored. */
export function caseStateOf(events: readonly DomainEvent[]): CaseState {
  let state = draftOf(initialState());
  for (const event of events) if (readsCase(event)) state = apply(state, event);
  return state;
}

/** The state of a non-case stream from its events. */
export function otherStateOf(events: readonly DomainEvent[]): OtherStreamState {
  let state = draftOtherOf(initialOtherState());
  for (const event of events) if (readsOther(event)) state = applyOther(state, event);
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
    if (!event || !readsCase(event)) continue;
    if (Date.parse(event.occurredAt) > until) continue;
    state = apply(state, event);
  }
  return state;
}
