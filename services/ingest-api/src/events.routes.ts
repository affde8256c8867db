import {
  type Actor,
  categoryOf,
  DomainError,
  type Envelope,
  EnvelopeSchema,
  ERRORS,
  parseEnvelope,
  streamIdFor,
} from '@fengcheng/domain';
import type { EventStore } from '@fengcheng/event-store';
import { authOf, type HttpApp, problemResponses, requireRole } from '@fengcheng/http';
import { type Logger, metricCounter } from '@fengcheng/platform';
import type { KeyVault } from '@fengcheng/privacy';
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';
import { errorOf, type ItemOutcome, type Refusal, recordStream, type Sender } from './ingest';
import { Registrations } from './registrations';
import { StreamCache } from './stream-cache';

/** Most events one batch may carry. */
export const MAX_BATCH = 1000;
/** A batch may be larger than a single post: 1,000 events with notes. */
export const DEFAULT_BATCH_BODY_LIMIT = 10 * 1024 * 1024;

export interface IngestRoutesDeps {
  store: EventStore;
  logger: Logger;
  /** Client data keys (`KeyVault.open(database, masterKey)`): personal fields are encrypted before append. */
  vault: KeyVault;
  clock?: () => Date;
  /**
   * Streams of one batch decided and appended at once. Default 32: the store and the key vault
   * group what waits together into one statement, so a batch's streams cost one round of round
   * trips rather than one per 8 streams.
   */
  batchConcurrency?: number;
  batchBodyLimit?: number;
  /** Events of recently written streams kept in memory to decide without a read. Default 10,000. */
  cachedEvents?: number;
}

const Recorded = z.object({
  eventId: z.string(),
  streamId: z.string(),
  version: z.int(),
  position: z.string().meta({ description: 'Global position, a 64-bit integer as a decimal string' }),
});

const BatchResult = z.object({
  index: z.int(),
  status: z.int(),
  eventId: z.string().optional(),
  streamId: z.string().optional(),
  version: z.int().optional(),
  position: z.string().optional(),
  replay: z.boolean().optional(),
  code: z.string().optional(),
  detail: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  failedIndex: z.int().optional(),
});

// The posted envelope is checked by `parseEnvelope` (below), which knows rules a JSON
// schema cannot say (caseId for case events, source pairs); the zod schema documents it.
const EnvelopeBody = EnvelopeSchema.meta({
  id: 'EventEnvelope',
  description: 'One event as an agency posts it',
}) as unknown as z.ZodType<Envelope>;
const BatchBody = z.strictObject({
  events: z.array(EnvelopeBody).max(MAX_BATCH),
}) as unknown as z.ZodType<{ events: unknown[] }>;

function refusedEnvelope(input: unknown): DomainError | Envelope {
  const parsed = parseEnvelope(input);
  if (parsed.success) return parsed.envelope;
  const detail = parsed.issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
  if (parsed.unknownType !== undefined) {
    return new DomainError('UNKNOWN_EVENT_TYPE', `unknown event type ${parsed.unknownType}`, {
      issues: parsed.issues,
    });
  }
  return new DomainError('VALIDATION_FAILED', detail, { issues: parsed.issues });
}

const envelopeValidator: FastifySchemaCompiler<unknown> = () => (data) => {
  const result = refusedEnvelope(data);
  return result instanceof DomainError ? { error: result } : { value: result };
};

const batchValidator: FastifySchemaCompiler<unknown> = () => (data) => {
  const events = (data as { events?: unknown } | null)?.events;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !Array.isArray(events)) {
    return {
      error: new DomainError('VALIDATION_FAILED', 'the body is {"events": [ … ]}', {
        issues: [{ path: 'events', message: 'an array of event envelopes' }],
      }),
    };
  }
  const extra = Object.keys(data).filter((key) => key !== 'events');
  if (extra.length > 0) {
    return {
      error: new DomainError('VALIDATION_FAILED', `the body is {"events": [ … ]} and nothing else`, {
        issues: extra.map((key) => ({ path: key, message: 'not a field of a batch' })),
      }),
    };
  }
  if (events.length > MAX_BATCH) {
    return {
      error: new DomainError('BATCH_TOO_LARGE', `${events.length} events; at most ${MAX_BATCH} per batch`, {
        max: MAX_BATCH,
      }),
    };
  }
  return { value: { events } };
};

// Both routes answer values built right here from typed outcomes (and problems from the one
// error handler): checking them again against their zod schemas on the way out cost about 2% of
// a batch's CPU. The schemas still say what is answered, in the OpenAPI document.
const plainJson: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

function senderOf(request: { id: string; auth: unknown }, auth: ReturnType<typeof authOf>): Sender {
  const actor: Actor = { role: auth.role, keyId: auth.keyId, organisationId: auth.organisationId };
  return { actor, correlationId: request.id };
}

/** Registries before what names them: organisations, then workers and projects, then the rest. */
function phaseOf(streamId: string): number {
  const category = categoryOf(streamId);
  if (category === 'organisation') return 0;
  if (category === 'worker' || category === 'project') return 1;
  return 2;
}

async function inPool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const run = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, run));
  return results;
}

function resultOf(
  index: number,
  eventId: string | undefined,
  outcome: ItemOutcome,
): z.infer<typeof BatchResult> {
  if (outcome.ok) {
    const { recorded } = outcome;
    // Written out, not spread: this runs for every event of a batch.
    const result: z.infer<typeof BatchResult> = {
      index,
      status: 201,
      eventId: recorded.eventId,
      streamId: recorded.streamId,
      version: recorded.version,
      position: recorded.position,
    };
    if (outcome.replay) result.replay = true;
    return result;
  }
  return refusedResult(index, eventId, outcome.refusal);
}

function refusedResult(
  index: number,
  eventId: string | undefined,
  refusal: Refusal,
): z.infer<typeof BatchResult> {
  const issues = refusal.extra?.issues as Array<{ path: string; message: string }> | undefined;
  const failedIndex = refusal.extra?.failedIndex as number | undefined;
  return {
    index,
    status: refusal.status,
    ...(eventId !== undefined ? { eventId } : {}),
    code: refusal.code,
    detail: refusal.detail,
    ...(issues ? { issues } : {}),
    ...(failedIndex !== undefined ? { failedIndex } : {}),
  };
}

/**
 * `POST /v1/events` and `POST /v1/events/batch`: the write side. An agency (or an admin,
 * for registrations) posts envelopes; the deciders decide; the store appends.
 */
export function registerIngestRoutes(app: HttpApp, deps: IngestRoutesDeps): void {
  const registrations = new Registrations(deps.store);
  const ingest = {
    store: deps.store,
    registrations,
    streams: new StreamCache(deps.cachedEvents),
    clock: deps.clock ?? (() => new Date()),
    vault: deps.vault,
  };
  const concurrency = deps.batchConcurrency ?? 32;
  // A client that hangs up does not stop its request's append: closing waits for those too,
  // so the store and the database are not closed under an append still on its way.
  const inFlight = new Set<Promise<unknown>>();
  const record: typeof recordStream = (...args) => {
    const recording = recordStream(...args);
    inFlight.add(recording);
    const done = () => inFlight.delete(recording);
    recording.then(done, done);
    return recording;
  };
  app.addHook('onClose', async () => {
    await Promise.allSettled([...inFlight]);
  });
  const events = metricCounter('fengcheng_ingest_events_total', 'Events posted, by outcome', ['outcome']);
  const writers = requireRole('agency', 'admin');

  app.post(
    '/v1/events',
    {
      onRequest: writers,
      validatorCompiler: envelopeValidator,
      serializerCompiler: plainJson,
      schema: {
        summary: 'Record one event',
        description:
          'Appends one event to its stream. The same eventId (or sourceSystem/sourceRecordId: each organisation has its own) from the organisation that sent it first answers the first result with `idempotent-replay: true` and appends nothing; with a different body, or from another organisation, 409. A stale expectedVersion is 409.',
        tags: ['events'],
        body: EnvelopeBody,
        response: { 201: Recorded, ...problemResponses(400, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const envelope = request.body;
      const streamId = streamIdFor(envelope);
      const [outcome] = await record(ingest, streamId, [{ index: 0, envelope }], senderOf(request, auth));
      if (!outcome) throw new Error('no outcome for a single event');
      if (!outcome.ok) {
        events.inc({ outcome: 'refused' });
        throw errorOf(outcome.refusal);
      }
      events.inc({ outcome: outcome.replay ? 'replayed' : 'appended' });
      if (outcome.replay) reply.header('idempotent-replay', 'true');
      request.log.debug(
        { streamId, eventId: envelope.eventId, position: outcome.recorded.position },
        'event recorded',
      );
      return reply.code(201).send(outcome.recorded);
    },
  );

  app.post(
    '/v1/events/batch',
    {
      onRequest: writers,
      bodyLimit: deps.batchBodyLimit ?? DEFAULT_BATCH_BODY_LIMIT,
      validatorCompiler: batchValidator,
      serializerCompiler: plainJson,
      schema: {
        summary: 'Record up to 1,000 events',
        description:
          'One result per item, in order. The events of one stream (one case) are appended all or none: when one is refused, the others of its stream answer BATCH_GROUP_REJECTED. Streams are independent of each other. Registrations are recorded before the events that name them.',
        tags: ['events'],
        body: BatchBody,
        response: {
          200: z.object({ results: z.array(BatchResult) }),
          ...problemResponses(400, 413, 415),
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const sender = senderOf(request, auth);
      const items = request.body.events;

      const seen = new Set<string>();
      const repeated = new Set<string>();
      for (const item of items) {
        const sent = (item as { eventId?: unknown } | null)?.eventId;
        if (typeof sent !== 'string') continue;
        // An eventId names one event in either case (the envelope writes it in lower case).
        const eventId = sent.toLowerCase();
        if (seen.has(eventId)) repeated.add(eventId);
        seen.add(eventId);
        const { sourceSystem, sourceRecordId } = item as { sourceSystem?: unknown; sourceRecordId?: unknown };
        if (typeof sourceSystem === 'string' && typeof sourceRecordId === 'string') {
          const source = `source:${sourceSystem}\u0000${sourceRecordId}`;
          if (seen.has(source)) repeated.add(`${sourceSystem}/${sourceRecordId}`);
          seen.add(source);
        }
      }
      if (repeated.size > 0) {
        throw new DomainError(
          'DUPLICATE_EVENT_IN_BATCH',
          `repeated in this batch: ${[...repeated].join(', ')}`,
          {
            repeated: [...repeated],
          },
        );
      }

      const results: Array<z.infer<typeof BatchResult>> = new Array(items.length);
      const groups = new Map<string, Array<{ index: number; envelope: Envelope }>>();
      const invalidIn = new Map<string, number>();
      items.forEach((item, index) => {
        const eventId = (item as { eventId?: unknown } | null)?.eventId;
        const id = typeof eventId === 'string' ? eventId : undefined;
        const parsed = refusedEnvelope(item);
        if (parsed instanceof DomainError) {
          results[index] = refusedResult(index, id, {
            code: parsed.code,
            status: parsed.status,
            detail: parsed.message,
            ...(parsed.extra ? { extra: parsed.extra } : {}),
          });
          const sent = (item as { caseId?: unknown } | null)?.caseId;
          // Its case's stream as a valid item names it: a caseId is written in lower case.
          const streamId = typeof sent === 'string' ? `case-${sent.toLowerCase()}` : undefined;
          if (streamId !== undefined && !invalidIn.has(streamId)) invalidIn.set(streamId, index);
          return;
        }
        const streamId = streamIdFor(parsed);
        const group = groups.get(streamId);
        if (group) group.push({ index, envelope: parsed });
        else groups.set(streamId, [{ index, envelope: parsed }]);
      });

      const phases: Array<Array<[string, Array<{ index: number; envelope: Envelope }>]>> = [[], [], []];
      for (const entry of groups) {
        const failedIndex = invalidIn.get(entry[0]);
        if (failedIndex !== undefined) {
          for (const { index, envelope } of entry[1]) {
            results[index] = refusedResult(index, envelope.eventId, {
              code: 'BATCH_GROUP_REJECTED',
              status: ERRORS.BATCH_GROUP_REJECTED.status,
              detail: `item ${failedIndex} of the same stream was refused, so none of the stream's items was appended`,
              extra: { failedIndex },
            });
          }
          continue;
        }
        phases[phaseOf(entry[0])]!.push(entry);
      }

      for (const phase of phases) {
        await inPool(
          phase.map(([streamId, group]) => async () => {
            const outcomes = await record(ingest, streamId, group, sender);
            outcomes.forEach((outcome, slot) => {
              const { index, envelope } = group[slot]!;
              results[index] = resultOf(index, envelope.eventId, outcome);
            });
          }),
          concurrency,
        );
      }

      let appended = 0;
      let replayed = 0;
      for (const result of results) {
        if (result?.replay) replayed++;
        else if (result?.status === 201) appended++;
      }
      events.inc({ outcome: 'appended' }, appended);
      events.inc({ outcome: 'replayed' }, replayed);
      events.inc({ outcome: 'refused' }, items.length - appended - replayed);
      request.log.debug({ items: items.length, appended, replayed }, 'batch recorded');
      return { results };
    },
  );
}
