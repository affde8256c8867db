import { z } from 'zod';
import { ACTIVITY_EVENT_SCHEMAS } from './activity/activity.events';
import { CASE_EVENT_SCHEMAS, type CaseEventType } from './case/case.events';
import { PRIVACY_EVENT_SCHEMAS } from './privacy/privacy.events';
import { REGISTRY_EVENT_SCHEMAS } from './registry/registry.events';
import { DateTimeSchema, IdSchema, UuidSchema } from './shared/primitives';

/** Every event type of the integration contract and the schema of its data. */
export const EVENT_SCHEMAS = {
  ...CASE_EVENT_SCHEMAS,
  ...REGISTRY_EVENT_SCHEMAS,
  ...ACTIVITY_EVENT_SCHEMAS,
  ...PRIVACY_EVENT_SCHEMAS,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export type EventData<T extends EventType = EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** Any domain event, discriminated by `type`. */
export type DomainEvent = {
  [T in EventType]: { type: T; eventId: string; occurredAt: string; data: EventData<T> };
}[EventType];

/**
 * The domain's view of anything carrying an event's four fields (a recorded event, an envelope):
 * the store and the wire keep more, the decider and `evolve` need only these.
 */
export function toDomainEvent(event: {
  type: string;
  eventId: string;
  occurredAt: string;
  data: unknown;
}): DomainEvent {
  return {
    type: event.type,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    data: event.data,
  } as DomainEvent;
}

export function isCaseEventType(type: string): type is CaseEventType {
  return Object.hasOwn(CASE_EVENT_SCHEMAS, type);
}

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_SCHEMAS, type);
}

/** Schema version of the data schemas above; stored in each event's metadata. */
export const SCHEMA_VERSION = 1;

const EnvelopeBase = {
  eventId: UuidSchema,
  caseId: UuidSchema.optional(),
  occurredAt: DateTimeSchema,
  /** The stream's version the sender last saw; 0 for a stream that must not exist yet. */
  expectedVersion: z.int().min(0).optional(),
  sourceSystem: IdSchema.optional(),
  sourceRecordId: z.string().min(1).max(128).optional(),
};

/** What an agency posts: one schema per event type, discriminated by `type`. */
export const EnvelopeSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((type) =>
    z.strictObject({ ...EnvelopeBase, type: z.literal(type), data: EVENT_SCHEMAS[type] }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export type Envelope = {
  [T in EventType]: {
    eventId: string;
    type: T;
    caseId?: string | undefined;
    occurredAt: string;
    expectedVersion?: number | undefined;
    sourceSystem?: string | undefined;
    sourceRecordId?: string | undefined;
    data: EventData<T>;
  };
}[EventType];

export type EnvelopeParseResult =
  | { success: true; envelope: Envelope }
  | { success: false; issues: Array<{ path: string; message: string }>; unknownType?: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Any surrogate or byte-order mark: most text has neither, and is passed on this one test. */
const SUSPECT = /[\uFEFF\uD800-\uDFFF]/;

/**
 * Which character no text of the ledger may hold `text` holds, if any. The stores cannot keep
 * these as sent, so an event holding one was accepted and then broke something later:
 * - NUL: the event column is json, which keeps it escaped; a read model's text column cannot
 *   (an organisation named 'a\u0000b' would have stopped the projector for good);
 * - a lone surrogate is not text: UTF-8 cannot encode it, so the hash refused it (a 500) or a
 *   field's encryption made it U+FFFD, and another body then passed for a retry of this one;
 * - PGlite drops a byte-order mark at the start of every text it returns: a source record id
 *   starting with one was never found again, and its re-sent export failed with a 500.
 */
function unstorableIn(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (U+0000)';
  if (!SUSPECT.test(text)) return undefined;
  if (text.includes('\uFEFF')) return 'a byte-order mark (U+FEFF)';
  return LONE_SURROGATE.test(text) ? 'a lone UTF-16 surrogate' : undefined;
}

/** The first string (value or key) in `value` holding such a character: the keys to it and which. */
function unstorableTextIn(value: unknown): { keys: string[]; what: string } | undefined {
  if (typeof value === 'string') {
    const what = unstorableIn(value);
    return what === undefined ? undefined : { keys: [], what };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  // for…in, not Object.keys: no array a call, on every envelope (parsed JSON has no inherited keys).
  for (const key in value) {
    const inKey = unstorableIn(key);
    const found =
      inKey !== undefined
        ? { keys: [], what: inKey }
        : unstorableTextIn((value as Record<string, unknown>)[key]);
    if (found === undefined) continue;
    found.keys.unshift(key);
    return found;
  }
  return undefined;
}

/** Validates a posted envelope: its shape, its type and that type's data. */
export function parseEnvelope(input: unknown): EnvelopeParseResult {
  const type = (input as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !isEventType(type)) {
    return {
      success: false,
      unknownType: type,
      issues: [{ path: 'type', message: `unknown event type ${type}` }],
    };
  }
  const result = EnvelopeSchema.safeParse(input);
  if (!result.success) {
    return {
      success: false,
      issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    };
  }
  const envelope = result.data as Envelope;
  const inData = unstorableTextIn(envelope.data);
  const inSource =
    envelope.sourceRecordId === undefined ? undefined : unstorableTextIn(envelope.sourceRecordId);
  const unstorable = inData
    ? { keys: ['data', ...inData.keys], what: inData.what }
    : inSource && { keys: ['sourceRecordId'], what: inSource.what };
  if (unstorable !== undefined) {
    const message = `holds ${unstorable.what}, which no text in the ledger may hold`;
    return { success: false, issues: [{ path: unstorable.keys.join('.'), message }] };
  }
  const voidsActivity = envelope.type === 'EntryVoided' && envelope.data.activityId !== undefined;
  if (voidsActivity && envelope.caseId) {
    return {
      success: false,
      issues: [{ path: 'caseId', message: 'void an activity entry without a caseId' }],
    };
  }
  if (isCaseEventType(envelope.type) && !voidsActivity && !envelope.caseId) {
    return { success: false, issues: [{ path: 'caseId', message: `${envelope.type} needs a caseId` }] };
  }
  if (!isCaseEventType(envelope.type) && envelope.caseId) {
    return { success: false, issues: [{ path: 'caseId', message: `${envelope.type} is not a case event` }] };
  }
  if ((envelope.sourceSystem === undefined) !== (envelope.sourceRecordId === undefined)) {
    return {
      success: false,
      issues: [{ path: 'sourceRecordId', message: 'sourceSystem and sourceRecordId come together' }],
    };
  }
  return { success: true, envelope };
}
