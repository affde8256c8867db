import {
  type Actor,
  DomainError,
  type DomainEvent,
  decideEnvelope,
  type Envelope,
  ERRORS,
  type ErrorCode,
  referencedIds,
  SCHEMA_VERSION,
} from '@fengcheng/domain';
import {
  type AppendResult,
  type EventStore,
  IdempotencyConflictError,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedVersionError,
} from '@fengcheng/event-store';
import type { Registrations } from './registrations';

/** How often a write without an expectedVersion is re-decided after losing a race. */
export const MAX_ATTEMPTS = 3;

/** Where an appended event landed; `position` is a decimal string (it is 64-bit). */
export interface Recorded {
  eventId: string;
  streamId: string;
  version: number;
  position: string;
}

export interface Refusal {
  code: ErrorCode;
  status: number;
  detail: string;
  extra?: Record<string, unknown>;
}

export type ItemOutcome =
  | { ok: true; recorded: Recorded; replay: boolean }
  | { ok: false; refusal: Refusal; cause: 'own' | 'group' };

export interface Sender {
  actor: Actor;
  /** The request id: ties every event of one request together. */
  correlationId: string;
}

export interface IngestDeps {
  store: EventStore;
  registrations: Registrations;
  clock: () => Date;
}

/** A rule broken, an idempotency conflict or a stale version: the refusal to report; anything else is not ours. */
export function refusalOf(error: unknown): Refusal | null {
  if (error instanceof DomainError) {
    return {
      code: error.code,
      status: error.status,
      detail: error.message,
      ...(error.extra ? { extra: error.extra } : {}),
    };
  }
  if (error instanceof WrongExpectedVersionError) {
    return {
      code: 'EXPECTED_VERSION_MISMATCH',
      status: ERRORS.EXPECTED_VERSION_MISMATCH.status,
      detail: error.message,
      extra: { streamId: error.streamId, expectedVersion: error.expected, actualVersion: error.actual },
    };
  }
  if (error instanceof IdempotencyConflictError) {
    const code: ErrorCode = 'eventId' in error.key ? 'EVENT_ID_CONFLICT' : 'SOURCE_RECORD_CONFLICT';
    return { code, status: ERRORS[code].status, detail: error.detail };
  }
  return null;
}

/** The error a refusal stands for, so the HTTP error handler can answer it. */
export function errorOf(refusal: Refusal): DomainError {
  return new DomainError(refusal.code, refusal.detail, refusal.extra);
}

function toDomainEvent(event: RecordedEvent): DomainEvent {
  return {
    type: event.type,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    data: event.data,
  } as DomainEvent;
}

function sourceOf(envelope: Envelope): { system: string; recordId: string } | undefined {
  return envelope.sourceSystem !== undefined && envelope.sourceRecordId !== undefined
    ? { system: envelope.sourceSystem, recordId: envelope.sourceRecordId }
    : undefined;
}

function isInStream(envelope: Envelope, stream: readonly RecordedEvent[]): boolean {
  const source = sourceOf(envelope);
  for (const event of stream) {
    if (event.eventId === envelope.eventId) return true;
    if (source && event.source?.system === source.system && event.source.recordId === source.recordId)
      return true;
  }
  return false;
}

function metadataOf(sender: Sender): Record<string, unknown> {
  const { actor } = sender;
  return {
    ...(actor.organisationId !== undefined ? { organisationId: actor.organisationId } : {}),
    ...(actor.keyId !== undefined ? { keyId: actor.keyId } : {}),
    role: actor.role,
    correlationId: sender.correlationId,
    schemaVersion: SCHEMA_VERSION,
  };
}

function toNewEvent(
  event: DomainEvent,
  metadata: Record<string, unknown>,
  source?: NewEvent['source'],
): NewEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    occurredAt: event.occurredAt,
    data: event.data as Record<string, unknown>,
    metadata,
    ...(source ? { source } : {}),
  };
}

function recordedOf(result: AppendResult, eventId: string): Recorded {
  const event = result.events.find((appended) => appended.eventId === eventId) ?? result.events.at(-1);
  if (!event) throw new Error(`the store answered no event for ${eventId} in ${result.streamId}`);
  return {
    eventId: event.eventId,
    streamId: result.streamId,
    version: event.version,
    position: event.position.toString(),
  };
}

function groupRejected(index: number): Refusal {
  return {
    code: 'BATCH_GROUP_REJECTED',
    status: ERRORS.BATCH_GROUP_REJECTED.status,
    detail: `item ${index} of the same stream was refused, so none of the stream's items was appended`,
    extra: { failedIndex: index },
  };
}

/**
 * Records the envelopes of one stream, in order, all or none: each is decided against
 * the stream's past and the ones before it, then all are appended in one append.
 * An envelope already in the stream (same eventId or source record) is re-sent to the
 * store alone, which answers the original result (or the conflict): a retry answers what
 * the first attempt did, however far the stream has moved since.
 *
 * Returns one outcome per item, in the items' order. Errors that are not refusals
 * (the database is down …) are thrown.
 */
export async function recordStream(
  deps: IngestDeps,
  streamId: string,
  items: ReadonlyArray<{ index: number; envelope: Envelope }>,
  sender: Sender,
): Promise<ItemOutcome[]> {
  const metadata = metadataOf(sender);
  for (let attempt = 1; ; attempt++) {
    const stream = await deps.store.readStream(streamId);
    const version = stream.at(-1)?.version ?? 0;
    const past = stream.map(toDomainEvent);
    const outcomes: Array<ItemOutcome | undefined> = new Array(items.length);
    const decided: DomainEvent[] = [];
    const fresh: NewEvent[] = [];
    const freshSlots: Array<{ slot: number; eventId: string }> = [];
    let failedSlot = -1;
    let failure: Refusal | null = null;

    for (let slot = 0; slot < items.length && failure === null; slot++) {
      const { envelope } = items[slot]!;
      try {
        if (isInStream(envelope, stream)) {
          const replayed = await deps.store.append(
            streamId,
            [
              toNewEvent(
                {
                  type: envelope.type,
                  eventId: envelope.eventId,
                  occurredAt: envelope.occurredAt,
                  data: envelope.data,
                } as DomainEvent,
                metadata,
                sourceOf(envelope),
              ),
            ],
            { expectedVersion: 'any' },
          );
          outcomes[slot] = {
            ok: true,
            recorded: recordedOf(replayed, envelope.eventId),
            replay: replayed.duplicate,
          };
          continue;
        }
        const expected = version + decided.length;
        if (envelope.expectedVersion !== undefined && envelope.expectedVersion !== expected) {
          throw new DomainError(
            'EXPECTED_VERSION_MISMATCH',
            `stream ${streamId} is at version ${expected}, expected ${envelope.expectedVersion}`,
            { streamId, expectedVersion: envelope.expectedVersion, actualVersion: expected },
          );
        }
        const history = decided.length > 0 ? [...past, ...decided] : past;
        const registrations = await deps.registrations.contextFor(referencedIds(envelope, history));
        const events = decideEnvelope(envelope, history, {
          now: deps.clock(),
          actor: sender.actor,
          ...registrations,
        });
        for (const event of events) {
          decided.push(event);
          fresh.push(
            toNewEvent(event, metadata, event.eventId === envelope.eventId ? sourceOf(envelope) : undefined),
          );
        }
        freshSlots.push({ slot, eventId: envelope.eventId });
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        failedSlot = slot;
        failure = refusal;
      }
    }

    if (failure === null && fresh.length > 0) {
      try {
        const result = await deps.store.append(streamId, fresh, { expectedVersion: version });
        for (const { slot, eventId } of freshSlots) {
          outcomes[slot] = { ok: true, recorded: recordedOf(result, eventId), replay: result.duplicate };
        }
        deps.registrations.learn(decided);
      } catch (error) {
        // Lost a race with another writer: decide again on the stream as it now is.
        if (error instanceof WrongExpectedVersionError && attempt < MAX_ATTEMPTS) continue;
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        const conflicting =
          error instanceof IdempotencyConflictError && 'eventId' in error.key
            ? freshSlots.find((fresh) => fresh.eventId === (error.key as { eventId: string }).eventId)
            : undefined;
        failedSlot = (conflicting ?? freshSlots[0])?.slot ?? 0;
        failure = refusal;
      }
    }

    if (failure !== null) {
      const failedIndex = items[failedSlot]!.index;
      for (let slot = 0; slot < items.length; slot++) {
        if (slot === failedSlot) outcomes[slot] = { ok: false, refusal: failure, cause: 'own' };
        else if (!outcomes[slot]?.ok)
          outcomes[slot] = { ok: false, refusal: groupRejected(failedIndex), cause: 'group' };
      }
    }
    return outcomes.map(
      (outcome, slot) => outcome ?? { ok: false, refusal: groupRejected(items[slot]!.index), cause: 'group' },
    );
  }
}
