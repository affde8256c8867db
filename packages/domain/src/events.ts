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

/**
 * Characters no text of the ledger may hold, each with why: the stores cannot keep them as sent,
 * so an event holding one was accepted and then broke something later.
 */
const UNSTORABLE: ReadonlyArray<readonly [(text: string) => boolean, string]> = [
  // The event column is json, which keeps an escaped NUL; a read model's text column cannot:
  // an organisation named 'a\u0000b' would have stopped the projector for good.
  [(text) => text.includes('\u0000'), 'a NUL character (U+0000)'],
  // Not text at all: UTF-8 cannot encode it, so the hash refused it (500) or the field's
  // encryption made it U+FFFD, and another body then passed for a retry of this one.
  [(text) => LONE_SURROGATE.test(text), 'a lone UTF-16 surrogate'],
  // PGlite drops a byte-order mark at the start of every text it returns: a source record id
  // starting with one was never found again, and its re-sent export failed with a 500.
  [(text) => text.includes('\uFEFF'), 'a byte-order mark (U+FEFF)'],
];

/** The first string (value or key) in `value` holding a character of UNSTORABLE: its path and which. */
function unstorableTextIn(value: unknown, path: string): { path: string; message: string } | undefined {
  if (typeof value === 'string') {
    const found = UNSTORABLE.find(([holds]) => holds(value));
    return found && { path, message: `holds ${found[1]}, which no text in the ledger may hold` };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}.${key}`;
    const found = unstorableTextIn(key, at) ?? unstorableTextIn(inner, at);
    if (found !== undefined) return found;
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
  const unstorable =
    unstorableTextIn(envelope.data, 'data') ?? unstorableTextIn(envelope.sourceRecordId, 'sourceRecordId');
  if (unstorable !== undefined) return { success: false, issues: [unstorable] };
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
