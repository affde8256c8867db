import {
  type Actor,
  DomainError,
  type DomainEvent,
  decideOn,
  type Envelope,
  ERRORS,
  type ErrorCode,
  hasEvent,
  initialStreamState,
  referencedIds,
  SCHEMA_VERSION,
  StreamDraft,
  streamStateOf,
  toDomainEvent,
} from '@fengcheng/domain';
import {
  type AppendResult,
  AppendTooLargeError,
  type EventStore,
  IdempotencyConflictError,
  type NewEvent,
  WrongExpectedVersionError,
} from '@fengcheng/event-store';
import {
  type ClientId,
  clientOfCase,
  encryptionContext,
  encryptPersonalData,
  hasPlainPersonalData,
  type KeyVault,
} from '@fengcheng/privacy';
import type { Registrations } from './registrations';
import { type StreamCache, type StreamView, sourceKey } from './stream-cache';

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
  streams: StreamCache;
  clock: () => Date;
  /** Client data keys: personal fields are encrypted before they reach the store. */
  vault: KeyVault;
}

/** The client an intake names, or null for any other event. */
function clientOf(event: DomainEvent): ClientId | null {
  return clientOfCase([event as { type: string; data: Record<string, unknown> }]);
}

/**
 * Encrypts the personal fields of an event under its client's data key (the intake's
 * organisation and clientRef — the event's own for an intake, else the case's `client`).
 * Events without personal data in the clear pass unchanged, at once: no key lookup and no
 * promise (most events of a batch). A client whose data was erased gets no new personal
 * data: 409 PERSONAL_DATA_ERASED.
 */
function sealed(
  vault: KeyVault,
  event: DomainEvent,
  caseClient: ClientId | null,
  source: NewEvent['source'],
): DomainEvent | Promise<DomainEvent> {
  return hasPlainPersonalData(event) ? encrypted(vault, event, caseClient, source) : event;
}

async function encrypted(
  vault: KeyVault,
  event: DomainEvent,
  caseClient: ClientId | null,
  source: NewEvent['source'],
): Promise<DomainEvent> {
  const client = clientOf(event) ?? caseClient;
  // The decider refuses every case event before intake, so a case always has its client here.
  if (!client) throw new Error(`no client for ${event.type} ${event.eventId}: no intake in its stream`);
  const key = await vault.keyForWriting(client);
  if (key === 'erased') {
    throw new DomainError(
      'PERSONAL_DATA_ERASED',
      `client ${client.clientRef} of ${client.organisationId} was erased; send the event without personal fields, or record the person under a new clientRef`,
    );
  }
  return encryptPersonalData(
    event as DomainEvent & { data: Record<string, unknown> },
    key,
    encryptionContext(event.eventId, source),
  );
}

/**
 * An erasure names a client whose personal data the ledger holds: a key under the organisation
 * of its intake. One naming a clientRef mistyped, or the organisation a case was transferred to,
 * was recorded (201) and erased nothing: the data stayed readable while the ledger said erased.
 */
async function checkClientKnown(vault: KeyVault, client: ClientId): Promise<void> {
  if ((await vault.keyForReading(client)) !== null) return;
  throw new DomainError(
    'CLIENT_NOT_FOUND',
    `no personal data of client ${client.clientRef} was recorded under ${client.organisationId}: a client's data is kept under the organisation that recorded its intake`,
  );
}

/** After a PersonalDataErased is in the ledger (first time or a retry), the client's key goes. */
async function shredErased(vault: KeyVault, events: readonly DomainEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === 'PersonalDataErased') {
      await vault.erase({ organisationId: event.data.organisationId, clientRef: event.data.clientRef });
    }
  }
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
  if (error instanceof AppendTooLargeError) {
    return {
      code: error.code,
      status: ERRORS[error.code].status,
      detail: error.message,
      extra: { streamId: error.streamId, bytes: error.bytes, limit: error.limit },
    };
  }
  return null;
}

/** The error a refusal stands for, so the HTTP error handler can answer it. */
export function errorOf(refusal: Refusal): DomainError {
  return new DomainError(refusal.code, refusal.detail, refusal.extra);
}

/**
 * The source record an envelope names, as the store keys it: the sender's own record, so the
 * system is kept under the sending organisation ("org-a/casebook"). Two agencies running the
 * same case software each have their own record ids: one's export neither replays nor
 * conflicts with the other's, and a refusal tells neither what the other recorded. (An id
 * cannot hold "/", so no agency's key can be mistaken for another's, nor for an admin's.)
 */
function sourceOf(envelope: Envelope, sender: Sender): { system: string; recordId: string } | undefined {
  if (envelope.sourceSystem === undefined || envelope.sourceRecordId === undefined) return undefined;
  const organisationId = sender.actor.organisationId;
  const system =
    organisationId === undefined ? envelope.sourceSystem : `${organisationId}/${envelope.sourceSystem}`;
  return { system, recordId: envelope.sourceRecordId };
}

/**
 * Who recorded the events of a stream (eventId → organisation, null for an admin), read for a
 * retry: a retry is answered only to the organisation that sent the event first, or another
 * agency holding a copy of an envelope would learn where it landed (or that its client was
 * erased) and be told it had recorded it. Null when every event is known to be the sender's
 * to be answered, without a read: an admin may read every history, so a retry tells it nothing
 * new; a case the sender owns and never transferred holds only its events (the decider lets no
 * one else write there); a registration or activity of the sender's organisation was recorded
 * by it or by an admin.
 */
async function recordersOf(
  store: EventStore,
  streamId: string,
  state: StreamView['state'],
  sender: Sender,
): Promise<Map<string, unknown> | null> {
  const organisationId = sender.actor.organisationId;
  if (organisationId === undefined) return null;
  const { case: caseState, other } = state;
  const owned =
    caseState.status === 'not_opened'
      ? other.organisationId === organisationId
      : caseState.organisationId === organisationId && caseState.counts.transfers === 0;
  if (owned) return null;
  const recordedBy = new Map<string, unknown>();
  for (const event of await store.readStream(streamId)) {
    recordedBy.set(event.eventId, event.metadata?.organisationId ?? null);
  }
  return recordedBy;
}

async function readView(store: EventStore, streamId: string): Promise<StreamView> {
  const stream = await store.readStream(streamId);
  const sources = new Set<string>();
  for (const event of stream) if (event.source) sources.add(sourceKey(event.source));
  const events = stream.map(toDomainEvent);
  return {
    version: stream.at(-1)?.version ?? 0,
    state: streamStateOf(events),
    client: clientOfCase(events as ReadonlyArray<{ type: string; data: Record<string, unknown> }>),
    sources,
  };
}

const EMPTY: StreamView = { version: 0, state: initialStreamState(), client: null, sources: new Set() };

function metadataOf(sender: Sender): Record<string, unknown> {
  const { actor } = sender;
  // Assigned one by one: spreading the conditional literals took ~2 µs a call (0.4% of the CPU).
  const metadata: Record<string, unknown> = {};
  if (actor.organisationId !== undefined) metadata.organisationId = actor.organisationId;
  if (actor.keyId !== undefined) metadata.keyId = actor.keyId;
  metadata.role = actor.role;
  metadata.correlationId = sender.correlationId;
  metadata.schemaVersion = SCHEMA_VERSION;
  return metadata;
}

function toNewEvent(
  event: DomainEvent,
  metadata: Record<string, unknown>,
  source?: NewEvent['source'],
): NewEvent {
  const newEvent: NewEvent = {
    eventId: event.eventId,
    type: event.type,
    occurredAt: event.occurredAt,
    data: event.data as Record<string, unknown>,
    metadata,
  };
  if (source) newEvent.source = source;
  return newEvent;
}

/** Where each event of an append landed, by eventId (an event not named answers the last one). */
function recordOf(streamId: string, event: AppendResult['events'][number]): Recorded {
  return { eventId: event.eventId, streamId, version: event.version, position: event.position.toString() };
}

function recordedIn(result: AppendResult): (eventId: string) => Recorded {
  const byId = new Map(result.events.map((event) => [event.eventId, event]));
  return (eventId) => {
    const event = byId.get(eventId) ?? result.events.at(-1);
    if (!event) throw new Error(`the store answered no event for ${eventId} in ${result.streamId}`);
    return recordOf(result.streamId, event);
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

type Attempt = { settled: true; outcomes: ItemOutcome[] } | { settled: false; lostRace: Refusal | null };

/**
 * Records the envelopes of one stream, in order, all or none: each is decided against
 * the stream's past and the ones before it, then all are appended in one append.
 * An envelope already in the stream (same eventId or source record) is re-sent to the
 * store alone, which answers the original result (or the conflict): a retry answers what
 * the first attempt did, however far the stream has moved since.
 *
 * The first try decides on the cached view of the stream (an unknown stream is taken to
 * be empty), which saves a read on the hot path; the append names that view's version,
 * so a stale view cannot slip through. If the view turns out stale, or a refusal came
 * from it, the stream is read afresh and decided again, at most MAX_ATTEMPTS times.
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
  const cached = deps.streams.get(streamId);
  const first = await attempt(deps, streamId, items, sender, metadata, cached ?? EMPTY, false);
  if (first.settled) return first.outcomes;
  deps.streams.delete(streamId);
  for (let tries = 1; ; tries++) {
    const view = await readView(deps.store, streamId);
    deps.streams.set(streamId, view);
    const next = await attempt(deps, streamId, items, sender, metadata, view, true);
    if (next.settled) return next.outcomes;
    deps.streams.delete(streamId);
    if (tries >= MAX_ATTEMPTS) {
      const refusal = next.lostRace ?? {
        code: 'EXPECTED_VERSION_MISMATCH' as const,
        status: ERRORS.EXPECTED_VERSION_MISMATCH.status,
        detail: `stream ${streamId} kept moving`,
      };
      return failed(items, 0, refusal, []);
    }
  }
}

function failed(
  items: ReadonlyArray<{ index: number }>,
  failedSlot: number,
  refusal: Refusal,
  outcomes: Array<ItemOutcome | undefined>,
): ItemOutcome[] {
  const failedIndex = items[failedSlot]!.index;
  return items.map((_, slot) => {
    if (slot === failedSlot) return { ok: false, refusal, cause: 'own' };
    const outcome = outcomes[slot];
    return outcome?.ok ? outcome : { ok: false, refusal: groupRejected(failedIndex), cause: 'group' };
  });
}

async function attempt(
  deps: IngestDeps,
  streamId: string,
  items: ReadonlyArray<{ index: number; envelope: Envelope }>,
  sender: Sender,
  metadata: Record<string, unknown>,
  view: StreamView,
  isFresh: boolean,
): Promise<Attempt> {
  const outcomes: Array<ItemOutcome | undefined> = new Array(items.length);
  const decided: DomainEvent[] = [];
  // The stream's state with what this attempt decided so far: each item is decided on it and
  // its events applied to it, so a batch of n items to one stream folds n events, not n². The
  // draft copies what it changes: the view (maybe cached, maybe shared) is never written.
  const draft = new StreamDraft(view.state);
  let client = view.client;
  const appending: NewEvent[] = [];
  const appendingSlots: Array<{ slot: number; eventId: string }> = [];
  const appendingSources: string[] = [];
  // Items already in the stream (retries) go back to the store together, in one append that
  // answers each its first result: one call for the stream, not one (with its refused insert
  // and its lookup) per item. They append nothing. If the store refuses one (its body changed),
  // they go again one by one, so that the retries before it are answered as they were alone.
  const replays: Array<{ slot: number; event: DomainEvent; source: NewEvent['source'] }> = [];
  // Who recorded the stream's events, read once, when a retry by eventId first needs it.
  let recorders: Promise<Map<string, unknown> | null> | undefined;
  const resend = async (group: typeof replays) => {
    const replayed = await deps.store.append(
      streamId,
      group.map(({ event, source }) => toNewEvent(event, metadata, source)),
      { expectedVersion: 'any' },
    );
    await shredErased(
      deps.vault,
      group.map(({ event }) => event),
    );
    group.forEach(({ slot }, i) => {
      const recorded = replayed.events[i];
      if (!recorded) throw new Error(`the store answered no event for item ${slot} in ${streamId}`);
      outcomes[slot] = {
        ok: true,
        recorded: recordOf(replayed.streamId, recorded),
        replay: replayed.duplicate,
      };
    });
  };
  /** Sends the retries gathered so far; the attempt's settled outcomes if the store refused one. */
  const sendReplays = async (): Promise<Attempt | null> => {
    const sending = replays.splice(0);
    if (sending.length === 0) return null;
    try {
      await resend(sending);
      return null;
    } catch (error) {
      if (!refusalOf(error)) throw error;
    }
    for (const replay of sending) {
      try {
        await resend([replay]);
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        return { settled: true, outcomes: failed(items, replay.slot, refusal, outcomes) };
      }
    }
    return null;
  };

  for (let slot = 0; slot < items.length; slot++) {
    const { envelope } = items[slot]!;
    try {
      const source = sourceOf(envelope, sender);
      // Already in the stream, by eventId or by source record: a retry.
      const known = hasEvent(view.state, envelope.eventId);
      if (known || (source !== undefined && view.sources.has(sourceKey(source)))) {
        if (known) {
          recorders ??= recordersOf(deps.store, streamId, view.state, sender);
          const recordedBy = await recorders;
          if (recordedBy && recordedBy.get(envelope.eventId) !== (sender.actor.organisationId ?? null)) {
            throw new DomainError(
              'EVENT_ID_CONFLICT',
              `eventId ${envelope.eventId} was used before for another event`,
            );
          }
        }
        // Encrypted exactly as the first time (synthetic IVs), so the store sees the same bytes.
        replays.push({
          slot,
          event: await sealed(deps.vault, toDomainEvent(envelope), client, source),
          source,
        });
        continue;
      }
      // Awaited only when something had to be loaded: an await costs a promise and a turn per item.
      const context = deps.registrations.contextFor(referencedIds(envelope, draft.state));
      const registrations = context instanceof Promise ? await context : context;
      const events = decideOn(envelope, draft.state, {
        now: deps.clock(),
        actor: sender.actor,
        ...registrations,
      });
      // After the decider, which refuses another organisation's case first: the version of a
      // stream is told only to someone who may write to it.
      const expected = view.version + decided.length;
      if (envelope.expectedVersion !== undefined && envelope.expectedVersion !== expected) {
        throw new DomainError(
          'EXPECTED_VERSION_MISMATCH',
          `stream ${streamId} is at version ${expected}, expected ${envelope.expectedVersion}`,
          { streamId, expectedVersion: envelope.expectedVersion, actualVersion: expected },
        );
      }
      // After the decider, so that a role that may not erase is told that first.
      if (envelope.type === 'PersonalDataErased') await checkClientKnown(deps.vault, envelope.data);
      const sealedEvents: DomainEvent[] = [];
      for (const plain of events) {
        const own = plain.eventId === envelope.eventId ? source : undefined;
        const sealing = sealed(deps.vault, plain, client, own);
        const event = sealing instanceof Promise ? await sealing : sealing;
        sealedEvents.push(event);
        appending.push(toNewEvent(event, metadata, own));
        if (own) appendingSources.push(sourceKey(own));
      }
      for (const event of sealedEvents) {
        decided.push(event);
        draft.apply(event);
        client ??= clientOf(event);
      }
      appendingSlots.push({ slot, eventId: envelope.eventId });
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      // A refusal decided on a cached view may rest on a past that has grown since.
      if (!isFresh && error instanceof DomainError) return { settled: false, lostRace: null };
      // The retries before it are answered as they would have been without it.
      const replayRefused = await sendReplays();
      if (replayRefused) return replayRefused;
      return { settled: true, outcomes: failed(items, slot, refusal, outcomes) };
    }
  }

  const replayRefused = await sendReplays();
  if (replayRefused) return replayRefused;

  if (appending.length > 0) {
    try {
      const result = await deps.store.append(streamId, appending, { expectedVersion: view.version });
      const recorded = recordedIn(result);
      for (const { slot, eventId } of appendingSlots) {
        outcomes[slot] = { ok: true, recorded: recorded(eventId), replay: result.duplicate };
      }
      if (!result.duplicate) {
        // A stream is kept from its second write on (see StreamCache): the one this append
        // created is not, and a view of it read while it was empty goes.
        if (view.version > 0) {
          const sources =
            appendingSources.length > 0 ? new Set([...view.sources, ...appendingSources]) : view.sources;
          deps.streams.set(streamId, { version: result.version, state: draft.state, client, sources });
        } else {
          deps.streams.delete(streamId);
        }
      }
      deps.registrations.learn(decided);
      await shredErased(deps.vault, decided);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      // Another writer got there first: decide again on the stream as it now is.
      if (error instanceof WrongExpectedVersionError) return { settled: false, lostRace: refusal };
      const conflicting =
        error instanceof IdempotencyConflictError && 'eventId' in error.key
          ? appendingSlots.find((fresh) => fresh.eventId === (error.key as { eventId: string }).eventId)
          : undefined;
      return {
        settled: true,
        outcomes: failed(items, (conflicting ?? appendingSlots[0])?.slot ?? 0, refusal, outcomes),
      };
    }
  }
  return { settled: true, outcomes: outcomes.map((outcome) => outcome!) };
}
