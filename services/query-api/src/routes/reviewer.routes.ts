import { caseStateOf, DomainError, stateAt, streamIds, toDomainEvent, UuidSchema } from '@fengcheng/domain';
import type { RecordedEvent } from '@fengcheng/event-store';
import { authOf, type HttpApp, problemResponses, requireRole } from '@fengcheng/http';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { revealRecorded } from '../case-access';
import { ensurePosition, type QueryRoutesDeps } from '../deps';
import { ConsistencyQuery, PositionSchema, WholeNumberQuery } from '../filters';
import { toJsonSafe } from '../json-safe';
import { verifyLedger } from '../ledger-verify';

// In lower case, as the ingest writes it: a caseId sent in upper case names the same case.
const CaseParams = z.strictObject({ caseId: UuidSchema });

/** Why the read is made: required of reviewers and admins, recorded in the case's audit trail. */
const PurposeQuery = {
  purpose: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .optional()
    .describe('why the case is read; required of reviewers and admins, recorded before the data is returned'),
};

const VerificationSchema = z.object({
  ok: z.boolean(),
  streamId: z.string(),
  events: z.number(),
  head: z.string().optional(),
  brokenAt: z.number().optional(),
  reason: z.string().optional(),
});

/**
 * An event's data or metadata as the ledger holds it: any JSON object, answered as it is.
 * Checked to be an object, not rebuilt: as `z.record(z.string(), z.unknown())` the check on the
 * way out copied every member of every event, 60 of the 65 µs it took for a 26-event history.
 */
const StoredObject = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected an object',
  )
  .meta({ type: 'object' });

const HistoryEventSchema = z.object({
  eventId: z.string(),
  streamId: z.string(),
  type: z.string(),
  version: z.number(),
  position: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
  data: StoredObject,
  metadata: StoredObject,
  source: z.object({ system: z.string(), recordId: z.string() }).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

const HistoryResponse = z.object({
  caseId: z.string(),
  streamId: z.string(),
  organisationId: z.string().nullable(),
  events: z.array(HistoryEventSchema),
  verification: VerificationSchema,
});

const StateResponse = z.object({
  caseId: z.string(),
  /** Events applied to reach this state. */
  version: z.number(),
  /** Events in the stream now. */
  currentVersion: z.number(),
  lastEvent: z
    .object({ eventId: z.string(), type: z.string(), occurredAt: z.string(), recordedAt: z.string() })
    .nullable(),
  asOf: z.string().nullable(),
  knownAt: z.string().nullable(),
  state: z.unknown(),
});

const LedgerResponse = z.object({
  ok: z.boolean(),
  events: z.number(),
  streams: z.number(),
  digest: z.string(),
  lastPosition: z.string(),
  digestMatches: z.boolean().nullable(),
  broken: z.array(
    z.object({
      streamId: z.string(),
      brokenAt: z.number(),
      reason: z.string(),
      position: z.string().nullable(),
    }),
  ),
  brokenCount: z.number(),
  seconds: z.number(),
});

/** Reviewers replay cases and verify the ledger from the event store itself, not from projections. */
export function registerReviewerRoutes(app: HttpApp, deps: QueryRoutesDeps): void {
  const r = app;
  const caseReaders = requireRole('reviewer', 'admin', 'agency');

  r.get(
    '/v1/cases/:caseId/history',
    {
      onRequest: caseReaders,
      schema: {
        tags: ['reviewer'],
        summary: "A case's full history with each event's metadata and the chain verification",
        description:
          'Reviewers and admins read any case and must state a `purpose` (400 PURPOSE_REQUIRED); an agency reads only a case its organisation owns now, and needs none. Every read is recorded in the audit trail (`GET /v1/admin/audit`) before the data is returned. Reviewers and the owning agency see personal fields in the clear, admins see them withheld; fields of an erased client read "[erased]".',
        params: CaseParams,
        querystring: z.strictObject({ ...PurposeQuery, ...ConsistencyQuery }),
        response: { 200: HistoryResponse, ...problemResponses(400, 403, 404, 503) },
      },
    },
    async (request) => {
      const { caseId } = request.params;
      const purpose = purposeOf(request, request.query.purpose);
      await ensurePosition(deps, request.query.minPosition);
      // The chain is checked over exactly the events returned, as the store read them.
      const { streamId, events, owner, verification } = await loadVerifiedCase(deps, request, caseId);
      const revealed = await revealRecorded(deps, request, caseId, purpose, events);
      request.log.info(
        { caseId, keyId: authOf(request).keyId, role: authOf(request).role, purpose },
        'case history read',
      );
      return {
        caseId,
        streamId,
        organisationId: owner,
        events: revealed.map(historyEvent),
        verification,
      };
    },
  );

  r.get(
    '/v1/cases/:caseId/state',
    {
      onRequest: caseReaders,
      schema: {
        tags: ['reviewer'],
        summary: 'The state of a case at a past moment or version, replayed from its events',
        description:
          '`asOf` replays the events that had occurred by then (by occurredAt, so a late-recorded earlier visit counts); `knownAt` only what the ledger had recorded by then; `version` the first N events. Given together, an event must pass each.',
        params: CaseParams,
        querystring: z.strictObject({
          asOf: z.iso.datetime({ offset: true }).optional(),
          knownAt: z.iso.datetime({ offset: true }).optional(),
          version: WholeNumberQuery.optional(),
          ...PurposeQuery,
          ...ConsistencyQuery,
        }),
        response: { 200: StateResponse, ...problemResponses(400, 403, 404, 503) },
      },
    },
    async (request) => {
      const { caseId } = request.params;
      const { asOf, knownAt, version, minPosition } = request.query;
      const purpose = purposeOf(request, request.query.purpose);
      await ensurePosition(deps, minPosition);
      const { events } = await loadCase(deps, request, caseId);
      if (version !== undefined && version > events.length) {
        throw new DomainError(
          'INVALID_QUERY',
          `the case has ${events.length} events; version ${version} is ahead`,
        );
      }
      let upTo = version ?? events.length;
      if (knownAt !== undefined) {
        const cutoff = Date.parse(knownAt);
        const unknown = events.findIndex((event) => Date.parse(event.recordedAt) > cutoff);
        if (unknown >= 0) upTo = Math.min(upTo, unknown);
      }
      const options: { asOf?: Date; version: number } = { version: upTo };
      if (asOf !== undefined) options.asOf = new Date(asOf);
      const revealed = await revealRecorded(deps, request, caseId, purpose, events);
      const state = stateAt(revealed.map(toDomainEvent), options);
      const last = lastApplied(events, options);
      request.log.info(
        { caseId, keyId: authOf(request).keyId, role: authOf(request).role, purpose, asOf, version },
        'case state read',
      );
      return {
        caseId,
        version: state.version,
        currentVersion: events.length,
        lastEvent: last
          ? {
              eventId: last.eventId,
              type: last.type,
              occurredAt: last.occurredAt,
              recordedAt: last.recordedAt,
            }
          : null,
        asOf: asOf ?? null,
        knownAt: knownAt ?? null,
        state: toJsonSafe(state),
      };
    },
  );

  r.get(
    '/v1/ledger/verify',
    {
      onRequest: requireRole('reviewer', 'admin'),
      schema: {
        tags: ['reviewer'],
        summary: 'Verify every stream’s hash chain and compute the ledger digest',
        description:
          'Reads the whole log page by page. Give `upTo` and `expectedDigest` (from an earlier export) to detect alteration, reordering or truncation since.',
        querystring: z.strictObject({
          upTo: PositionSchema.optional(),
          expectedDigest: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .optional(),
          ...PurposeQuery,
          ...ConsistencyQuery,
        }),
        response: { 200: LedgerResponse, ...problemResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { upTo, expectedDigest, purpose, minPosition } = request.query;
      await ensurePosition(deps, minPosition);
      const result = await verifyLedger(deps.store, upTo === undefined ? {} : { upTo });
      request.log.info(
        { keyId: authOf(request).keyId, purpose: purpose ?? null, events: result.events, ok: result.ok },
        'ledger verified',
      );
      return {
        ...result,
        lastPosition: result.lastPosition.toString(),
        digestMatches: expectedDigest === undefined ? null : expectedDigest === result.digest,
      };
    },
  );
}

/**
 * The purpose a read states: reviewers and admins must give one (400 PURPOSE_REQUIRED); the
 * owning agency may, and otherwise reads with none (null). Checked before anything is read.
 */
function purposeOf(request: FastifyRequest, purpose: string | undefined): string | null {
  const { role } = authOf(request);
  if (purpose === undefined && role !== 'agency') {
    throw new DomainError('PURPOSE_REQUIRED', `a ${role} states why the case is read: ?purpose=…`);
  }
  return purpose ?? null;
}

/** Reads a case's stream and enforces who may see it: 404 unknown, 403 another agency's. */
async function loadCase(deps: QueryRoutesDeps, request: FastifyRequest, caseId: string) {
  const streamId = streamIds.case(caseId);
  const events = await deps.store.readStream(streamId);
  return { streamId, events, owner: ownerReadBy(request, caseId, events) };
}

/** `loadCase`, with the chain checked over exactly the events read, as the store read them. */
async function loadVerifiedCase(deps: QueryRoutesDeps, request: FastifyRequest, caseId: string) {
  const streamId = streamIds.case(caseId);
  const { events, verification } = await deps.store.readVerifiedStream(streamId);
  return { streamId, events, verification, owner: ownerReadBy(request, caseId, events) };
}

/**
 * The organisation that owns the case now (the intake's, or the latest transfer's
 * destination), once this request may read it: 404 without events, 403 for another agency.
 */
function ownerReadBy(request: FastifyRequest, caseId: string, events: readonly RecordedEvent[]) {
  if (events.length === 0) throw new DomainError('CASE_NOT_FOUND', `no case ${caseId}`);
  const owner = caseStateOf(events.map(toDomainEvent)).organisationId;
  const auth = authOf(request);
  if (auth.role === 'agency' && (!auth.organisationId || auth.organisationId !== owner)) {
    throw new DomainError('NOT_YOUR_CASE');
  }
  return owner;
}

/** The last event a replay with these options applies, mirroring `stateAt`'s rule. */
function lastApplied(events: readonly RecordedEvent[], options: { asOf?: Date; version: number }) {
  const until = options.asOf?.getTime() ?? Number.POSITIVE_INFINITY;
  for (let i = Math.min(options.version, events.length) - 1; i >= 0; i--) {
    const event = events[i]!;
    if (Date.parse(event.occurredAt) <= until) return event;
  }
  return undefined;
}

function historyEvent(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    type: event.type,
    version: event.version,
    position: event.position.toString(),
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    data: event.data,
    metadata: event.metadata,
    source: event.source,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}
