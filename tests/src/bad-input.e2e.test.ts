import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { isValidResidentId, parseEnvelope, residentIdCheckCharacter } from '@fengcheng/domain';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledLedgerSize } from './support/ledger';
import { startTestServer, type TestServer } from './support/server';
import { buildWorld, CLIENT, daysAgo, envelope, post, type World } from './support/world';

type KeyName = 'agencyA' | 'agencyB' | 'admin' | 'reviewer' | 'analyst' | 'revoked' | 'unknown' | 'none';

interface BadRequest {
  name: string;
  method?: 'POST' | 'GET' | 'DELETE';
  path?: string;
  key?: KeyName;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  authorization?: string;
  status: number;
  code: string;
  /** For a batch answered 200: the status and code of each item. */
  items?: Array<{ status: number; code: string }>;
}

/**
 * The edge holds: every malformed, mistyped, out-of-range, forbidden or stale request gets its
 * status and its stable code as RFC 9457 problem+json, and the ledger is exactly as it was
 * (head position and the number of events read back from the log).
 */
describe('bad input', () => {
  let server: TestServer;
  let world: World;
  let revokedKey: string;
  const caseA = randomUUID();
  let visitA: Record<string, unknown>;
  let lastPosition = '0';
  let baseline: { head: bigint; events: number };
  const unknownKey = `fck_${'A'.repeat(43)}`;

  const keyOf = (name: KeyName): string | undefined => {
    switch (name) {
      case 'admin':
        return server.adminKey;
      case 'revoked':
        return revokedKey;
      case 'unknown':
        return unknownKey;
      case 'none':
        return undefined;
      default:
        return world.keys[name];
    }
  };

  const send = async (request: BadRequest) => {
    const method = request.method ?? 'POST';
    const headers: Record<string, string> = {};
    const key = keyOf(request.key ?? 'agencyA');
    if (request.authorization !== undefined) headers.authorization = request.authorization;
    else if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (request.raw !== undefined || request.body !== undefined) {
      body = request.raw ?? JSON.stringify(request.body);
      headers['content-type'] = request.contentType ?? 'application/json';
    }
    const response = await fetch(`${server.url}${request.path ?? '/v1/events'}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', text };
  };

  // Envelope builders over the world registered in beforeAll.
  const intakeData = (over: Record<string, unknown> = {}) => ({
    organisationId: world.ids.orgA,
    workerId: world.ids.workerA,
    communityCode: '640104010004',
    targetGroups: ['elderly'],
    client: { ...CLIENT, clientRef: 'bad-input-client' },
    needs: ['daily_living'],
    riskLevel: 'medium',
    ...over,
  });
  const visitData = (over: Record<string, unknown> = {}) => ({
    visitId: `v-${randomUUID().slice(0, 8)}`,
    workerId: world.ids.workerA,
    mode: 'home',
    durationMinutes: 30,
    services: ['daily_living'],
    ...over,
  });
  const visit = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
    ...envelope('VisitRecorded', visitData(data), { caseId: caseA }),
    ...over,
  });
  const intake = (data: Record<string, unknown> = {}) =>
    envelope('IntakeRecorded', intakeData(data), { caseId: randomUUID() });
  const without = (object: Record<string, unknown>, field: string) => {
    const copy = { ...object };
    delete copy[field];
    return copy;
  };
  const nested = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
  const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString().replace('Z', '+00:00');

  beforeAll(async () => {
    server = await startTestServer();
    world = await buildWorld(server);
    const revoked = await world.admin.post('/v1/admin/keys', {
      role: 'agency',
      organisationId: world.ids.orgA,
      label: 'to be revoked',
    });
    revokedKey = revoked.body.key;
    const deleted = await fetch(`${server.url}/v1/admin/keys/${revoked.body.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(deleted.status).toBe(204);
    await post(
      world.agencyA,
      envelope('IntakeRecorded', intakeData(), { caseId: caseA, occurredAt: daysAgo(1) }),
    );
    visitA = visit();
    lastPosition = (await post(world.agencyA, visitA)).position;
    baseline = await settledLedgerSize(server.running.store, lastPosition);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  const table = (): BadRequest[] => [
    // Malformed JSON
    { name: 'an unterminated object', raw: '{', status: 400, code: 'MALFORMED_JSON' },
    { name: 'a missing value', raw: '{"eventId": }', status: 400, code: 'MALFORMED_JSON' },
    { name: 'a trailing comma', raw: '{"type":"VisitRecorded",}', status: 400, code: 'MALFORMED_JSON' },
    { name: 'single quotes', raw: "{'type':'VisitRecorded'}", status: 400, code: 'MALFORMED_JSON' },
    { name: 'a NaN literal', raw: '{"data":{"durationMinutes":NaN}}', status: 400, code: 'MALFORMED_JSON' },
    { name: 'an empty body', raw: '', status: 400, code: 'MALFORMED_JSON' },
    { name: 'control bytes', raw: '\u0000\u0001\u0002', status: 400, code: 'MALFORMED_JSON' },
    {
      name: 'personal data in broken JSON',
      raw: `{"client":{"name":"${CLIENT.name}"`,
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a broken batch',
      path: '/v1/events/batch',
      raw: '{"events":[}',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    // Wrong content type
    { name: 'text/plain', raw: '{}', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    {
      name: 'a form',
      raw: 'type=VisitRecorded',
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'multipart',
      raw: '--x\r\n\r\n--x--',
      contentType: 'multipart/form-data; boundary=x',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'XML',
      raw: '<event/>',
      contentType: 'application/xml',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'octet-stream',
      raw: '{}',
      contentType: 'application/octet-stream',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a batch as text/plain',
      path: '/v1/events/batch',
      raw: '{"events":[]}',
      contentType: 'text/plain',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    // Missing fields
    { name: 'JSON null', raw: 'null', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an empty object', body: {}, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an array', body: [], status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no eventId', body: without(visit(), 'eventId'), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no type', body: without(visit(), 'type'), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no occurredAt', body: without(visit(), 'occurredAt'), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no data', body: without(visit(), 'data'), status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'a case event without caseId',
      body: without(visit(), 'caseId'),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an intake without client',
      body: { ...intake(), data: without(intakeData(), 'client') },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an intake without organisationId',
      body: { ...intake(), data: without(intakeData(), 'organisationId') },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a visit without workerId',
      body: { ...visit(), data: without(visitData(), 'workerId') },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a visit without services',
      body: { ...visit(), data: without(visitData(), 'services') },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a referral without urgency',
      body: envelope(
        'ReferralMade',
        { referralId: 'r1', toOrganisation: 'x', service: 'health', reason: 'r' },
        { caseId: caseA },
      ),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a batch without events',
      path: '/v1/events/batch',
      body: {},
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Extra fields
    {
      name: 'an extra envelope field',
      body: visit({ priority: 'high' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    { name: 'an extra data field', body: visit({}, { mood: 'sad' }), status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'an extra client field',
      body: intake({ client: { ...CLIENT, email: 'a@b.cn' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a caseId on a registration',
      body: envelope(
        'OrganisationRegistered',
        { organisationId: 'o-x', name: 'x', kind: 'hub', regionCode: '640104000000' },
        { caseId: caseA },
      ),
      key: 'admin',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'sourceSystem without sourceRecordId',
      body: visit({ sourceSystem: 'casebook' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Wrongly typed fields
    { name: 'a numeric eventId', body: visit({ eventId: 42 }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a numeric type', body: visit({ type: 7 }), status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'durationMinutes as a string',
      body: visit({}, { durationMinutes: '45' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'services as a string',
      body: visit({}, { services: 'health' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown service',
      body: visit({}, { services: ['magic'] }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown mode',
      body: visit({}, { mode: 'telepathy' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown target group',
      body: intake({ targetGroups: ['pets'] }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an unknown risk level',
      body: intake({ riskLevel: 'extreme' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a negative expectedVersion',
      body: visit({ expectedVersion: -1 }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a fractional expectedVersion',
      body: visit({ expectedVersion: 1.5 }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a birth year of 1800',
      body: intake({ client: { ...CLIENT, birthYear: 1800 } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a goal attainment of 3',
      body: envelope('CaseClosed', { reason: 'moved', goalAttainment: 3 }, { caseId: caseA }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a negative value in yuan',
      body: envelope(
        'ResourceLinked',
        { resourceType: 'financial', description: 'x', provider: 'y', valueYuan: -5 },
        { caseId: caseA },
      ),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    { name: 'data as an array', body: visit({ data: [] }), status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'notes longer than 4,000 characters',
      body: visit({}, { notes: '记'.repeat(4001) }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Unknown event types
    {
      name: 'an unknown type',
      body: visit({ type: 'VisitDeleted' }),
      status: 400,
      code: 'UNKNOWN_EVENT_TYPE',
    },
    {
      name: 'the internal CaseRecordRead type',
      body: envelope(
        'CaseRecordRead',
        { caseId: caseA, keyId: 'k', role: 'reviewer', purpose: 'x', route: '/' },
        { caseId: caseA },
      ),
      status: 400,
      code: 'UNKNOWN_EVENT_TYPE',
    },
    {
      name: 'a lower-case type',
      body: visit({ type: 'visitrecorded' }),
      status: 400,
      code: 'UNKNOWN_EVENT_TYPE',
    },
    { name: 'an empty type', body: visit({ type: '' }), status: 400, code: 'UNKNOWN_EVENT_TYPE' },
    {
      name: 'an inherited name as type',
      body: visit({ type: 'toString' }),
      status: 400,
      code: 'UNKNOWN_EVENT_TYPE',
    },
    {
      name: '__proto__ as type',
      body: visit({ type: '__proto__' }),
      status: 400,
      code: 'UNKNOWN_EVENT_TYPE',
    },
    {
      name: 'an unknown type in a batch',
      path: '/v1/events/batch',
      body: { events: [visit({ type: 'VisitDeleted' }), visit()] },
      status: 200,
      code: '',
      items: [
        { status: 400, code: 'UNKNOWN_EVENT_TYPE' },
        { status: 424, code: 'BATCH_GROUP_REJECTED' },
      ],
    },
    // Bad UUIDs
    {
      name: 'an eventId that is no UUID',
      body: visit({ eventId: 'not-a-uuid' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an eventId with a non-hex digit',
      body: visit({ eventId: 'g1d1c2b3-4e5f-4a6b-8c7d-9e0f1a2b3c4d' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    { name: 'a short caseId', body: visit({ caseId: '1234-5678' }), status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'a void of a non-UUID target',
      body: envelope('EntryVoided', { targetEventId: 'abc', reason: 'x' }, { caseId: caseA }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a history read of a non-UUID case',
      method: 'GET',
      path: '/v1/cases/not-a-uuid/history?purpose=audit',
      key: 'reviewer',
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Bad region codes
    {
      name: 'a 6-digit community code',
      body: intake({ communityCode: '640104' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a township code as community',
      body: intake({ communityCode: '640104010000' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'letters as community code',
      body: intake({ communityCode: 'abcdefghijkl' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a 13-digit community code',
      body: intake({ communityCode: '6401040100041' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a bad organisation region',
      key: 'admin',
      body: envelope('OrganisationRegistered', {
        organisationId: 'o-bad',
        name: 'x',
        kind: 'hub',
        regionCode: '99999999999x',
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Resident ID numbers and phones
    {
      name: 'an ID number with a wrong check character',
      body: intake({ client: { ...CLIENT, idNumber: '640104194803150010' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an ID number with a wrong X',
      body: intake({ client: { ...CLIENT, idNumber: '64010419480315002X' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a 17-character ID number',
      body: intake({ client: { ...CLIENT, idNumber: '64010419480315001' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'an ID number of a date that does not exist',
      body: intake({
        client: { ...CLIENT, idNumber: `64010419480231001${residentIdCheckCharacter('64010419480231001')}` },
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a phone of letters',
      body: intake({ client: { ...CLIENT, phone: 'call me' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Time
    {
      name: 'occurredAt an hour ahead',
      body: visit({ occurredAt: inFuture(3_600_000) }),
      status: 422,
      code: 'OCCURRED_IN_FUTURE',
    },
    {
      name: 'occurredAt a year ahead',
      body: visit({ occurredAt: inFuture(365 * 86_400_000) }),
      status: 422,
      code: 'OCCURRED_IN_FUTURE',
    },
    {
      name: 'an intake ten minutes ahead',
      body: { ...intake(), occurredAt: inFuture(600_000) },
      status: 422,
      code: 'OCCURRED_IN_FUTURE',
    },
    {
      name: 'occurredAt without an offset',
      body: visit({ occurredAt: '2026-03-01T08:00:00' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'occurredAt in words',
      body: visit({ occurredAt: 'yesterday' }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Durations
    {
      name: 'a negative duration',
      body: visit({}, { durationMinutes: -5 }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a zero duration',
      body: visit({}, { durationMinutes: 0 }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a duration over a day',
      body: visit({}, { durationMinutes: 100_000 }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'negative supervision minutes',
      body: envelope('SupervisionRecorded', {
        supervisorId: world.ids.supervisorA,
        superviseeId: world.ids.workerA,
        minutes: -30,
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'negative attendees',
      body: envelope('GroupActivityRecorded', {
        activityId: 'act-neg',
        projectId: world.ids.projectP,
        workerIds: [world.ids.workerA],
        communityCode: '640104010004',
        attendees: -12,
        targetGroups: ['elderly'],
        services: ['recreation'],
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    // Oversized and deeply nested
    {
      name: 'a body over 1 MiB',
      raw: JSON.stringify(visit({}, { notes: 'x'.repeat(1_100_000) })),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'a batch of 1,001 events',
      path: '/v1/events/batch',
      body: { events: Array.from({ length: 1001 }, () => visit()) },
      status: 413,
      code: 'BATCH_TOO_LARGE',
    },
    {
      name: 'a batch over 10 MiB',
      path: '/v1/events/batch',
      raw: JSON.stringify({ events: [visit({}, { notes: 'y'.repeat(10_600_000) })] }),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'data nested 50,000 deep',
      raw: `{"eventId":"${randomUUID()}","type":"VisitRecorded","caseId":"${caseA}","occurredAt":"${daysAgo(0.1)}","data":${nested(50_000)}}`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a client nested 10,000 deep',
      raw: JSON.stringify({ ...intake(), data: { ...intakeData(), client: 'PLACEHOLDER' } }).replace(
        '"PLACEHOLDER"',
        nested(10_000, '{"name":"x"}'),
      ),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a constructor key nested 10,000 deep',
      raw: `{"data":${nested(10_000, '{"constructor":{"prototype":{"polluted":true}}}')}}`,
      status: 400,
      code: 'MALFORMED_JSON',
    },
    // Prototype poisoning: refused by the JSON parser itself, before any schema sees the object
    {
      name: 'a top-level __proto__',
      raw: JSON.stringify(visit()).replace('{', '{"__proto__":{"isAdmin":true},'),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a __proto__ in data',
      raw: JSON.stringify(visit()).replace('"data":{', '"data":{"__proto__":{"durationMinutes":1},'),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a constructor.prototype in data',
      raw: JSON.stringify(visit()).replace('"data":{', '"data":{"constructor":{"prototype":{"x":1}},'),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a __proto__ in a batch item',
      path: '/v1/events/batch',
      raw: JSON.stringify({ events: [visit()] }).replace('"data":{', '"data":{"__proto__":{"x":1},'),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    // Duplicates inside one batch
    {
      name: 'the same eventId twice in a batch',
      path: '/v1/events/batch',
      body: (() => {
        const once = visit();
        return { events: [once, visit(), once] };
      })(),
      status: 400,
      code: 'DUPLICATE_EVENT_IN_BATCH',
    },
    {
      name: 'the same source record twice in a batch',
      path: '/v1/events/batch',
      body: {
        events: [
          visit({ sourceSystem: 'casebook', sourceRecordId: 'r-1' }),
          visit({ sourceSystem: 'casebook', sourceRecordId: 'r-1' }),
        ],
      },
      status: 400,
      code: 'DUPLICATE_EVENT_IN_BATCH',
    },
    // Another organisation's case
    {
      name: "a visit to another agency's case",
      key: 'agencyB',
      body: visit({}, { workerId: world.ids.workerB }),
      status: 403,
      code: 'NOT_YOUR_CASE',
    },
    {
      name: "another agency's case in a batch",
      key: 'agencyB',
      path: '/v1/events/batch',
      body: { events: [visit({}, { workerId: world.ids.workerB })] },
      status: 200,
      code: '',
      items: [{ status: 403, code: 'NOT_YOUR_CASE' }],
    },
    {
      name: 'an intake for another organisation',
      body: intake({ organisationId: world.ids.orgB, workerId: world.ids.workerB }),
      status: 403,
      code: 'NOT_YOUR_ORGANISATION',
    },
    {
      name: 'a worker registered for another organisation',
      body: envelope('WorkerRegistered', {
        workerId: 'w-stolen',
        organisationId: world.ids.orgB,
        certification: 'none',
        role: 'frontline',
      }),
      status: 403,
      code: 'NOT_YOUR_ORGANISATION',
    },
    {
      name: "another organisation's worker on a visit",
      body: visit({}, { workerId: world.ids.workerB }),
      status: 403,
      code: 'WORKER_OF_OTHER_ORGANISATION',
    },
    {
      name: "another agency reading the case's history",
      method: 'GET',
      path: `/v1/cases/${caseA}/history`,
      key: 'agencyB',
      status: 403,
      code: 'NOT_YOUR_CASE',
    },
    // Stale versions and conflicts
    {
      name: 'a stale expectedVersion',
      body: visit({ expectedVersion: 1 }),
      status: 409,
      code: 'EXPECTED_VERSION_MISMATCH',
    },
    {
      name: 'an expectedVersion ahead',
      body: visit({ expectedVersion: 99 }),
      status: 409,
      code: 'EXPECTED_VERSION_MISMATCH',
    },
    {
      // The rules are decided before the expected version is compared (a stream's version is
      // told only to someone who may write to it).
      name: 'a second intake for an open case',
      body: { ...envelope('IntakeRecorded', intakeData(), { caseId: caseA }), expectedVersion: 0 },
      status: 409,
      code: 'CASE_ALREADY_OPENED',
    },
    {
      name: 'a visit naming a version the case has passed',
      body: { ...visit(), expectedVersion: 1 },
      status: 409,
      code: 'EXPECTED_VERSION_MISMATCH',
    },
    {
      name: 'a used eventId with another body',
      body: { ...visitA, data: { ...(visitA.data as Record<string, unknown>), durationMinutes: 31 } },
      status: 409,
      code: 'EVENT_ID_CONFLICT',
    },
    {
      name: 'a visit before intake',
      body: visit({ caseId: randomUUID() }),
      status: 409,
      code: 'CASE_NOT_OPENED',
    },
    {
      name: 'an unregistered worker',
      body: visit({}, { workerId: 'w-nobody' }),
      status: 422,
      code: 'WORKER_NOT_REGISTERED',
    },
    // Keys and roles
    { name: 'no Authorization header', key: 'none', body: visit(), status: 401, code: 'UNAUTHENTICATED' },
    { name: 'an unknown key', key: 'unknown', body: visit(), status: 401, code: 'UNAUTHENTICATED' },
    {
      name: 'a Basic credential',
      authorization: 'Basic YWdlbmN5OnNlY3JldA==',
      body: visit(),
      status: 401,
      code: 'UNAUTHENTICATED',
    },
    { name: 'a bare token', authorization: 'Bearer x', body: visit(), status: 401, code: 'UNAUTHENTICATED' },
    { name: 'a revoked key', key: 'revoked', body: visit(), status: 401, code: 'KEY_REVOKED' },
    {
      name: 'a revoked key on a batch',
      key: 'revoked',
      path: '/v1/events/batch',
      body: { events: [visit()] },
      status: 401,
      code: 'KEY_REVOKED',
    },
    {
      name: 'a revoked key reading its own case',
      key: 'revoked',
      method: 'GET',
      path: `/v1/cases/${caseA}/history`,
      status: 401,
      code: 'KEY_REVOKED',
    },
    { name: 'an analyst posting', key: 'analyst', body: visit(), status: 403, code: 'FORBIDDEN_ROLE' },
    { name: 'a reviewer posting', key: 'reviewer', body: visit(), status: 403, code: 'FORBIDDEN_ROLE' },
    // The role is checked before the body or query is: the wrong role learns nothing of the schema.
    {
      name: 'an analyst posting an empty body',
      key: 'analyst',
      body: {},
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'an analyst posting a batch without events',
      key: 'analyst',
      path: '/v1/events/batch',
      body: { x: 1 },
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'a reviewer posting an empty body to the admin keys',
      key: 'reviewer',
      path: '/v1/admin/keys',
      body: {},
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'a reviewer asking analyst figures with a misspelt filter',
      key: 'reviewer',
      method: 'GET',
      path: '/v1/stats/service-instances?regoin=640104',
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'an analyst asking a case state at a version that is not a number',
      key: 'analyst',
      method: 'GET',
      path: `/v1/cases/${caseA}/state?version=abc`,
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'no key on an empty body to the admin keys',
      key: 'none',
      path: '/v1/admin/keys',
      body: {},
      status: 401,
      code: 'UNAUTHENTICATED',
    },
    {
      name: 'an agency erasing a client',
      body: envelope('PersonalDataErased', {
        organisationId: world.ids.orgA,
        clientRef: 'bad-input-client',
        legalBasis: 'x',
      }),
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    {
      name: 'a reviewer read without purpose',
      key: 'reviewer',
      method: 'GET',
      path: `/v1/cases/${caseA}/history`,
      status: 400,
      code: 'PURPOSE_REQUIRED',
    },
    {
      name: 'an analyst reading the audit trail',
      key: 'analyst',
      method: 'GET',
      path: `/v1/admin/audit?caseId=${caseA}`,
      status: 403,
      code: 'FORBIDDEN_ROLE',
    },
    // Query values: an empty one is refused, never read as 0 or as no filter.
    ...(
      [
        ['an empty version', `/v1/cases/${caseA}/state?purpose=audit&version=`],
        ['a hexadecimal version', `/v1/cases/${caseA}/state?purpose=audit&version=0x1`],
        ['a version in exponent form', `/v1/cases/${caseA}/state?purpose=audit&version=1e0`],
        ['an empty asOf', `/v1/cases/${caseA}/state?purpose=audit&asOf=`],
        ['an empty minPosition', `/v1/cases/${caseA}/history?purpose=audit&minPosition=`],
        ['an empty upTo', '/v1/ledger/verify?upTo='],
      ] as const
    ).map(([name, path]) => ({
      name,
      key: 'reviewer' as const,
      method: 'GET' as const,
      path,
      status: 400,
      code: 'VALIDATION_FAILED',
    })),
    ...(
      [
        ['an empty from', '/v1/stats/service-instances?from='],
        ['an empty to', '/v1/projects/outcomes?to='],
        ['an empty analyst minPosition', '/v1/workers/workloads?minPosition='],
        ['from later than to', '/v1/stats/service-instances?from=2026-03-10&to=2026-03-01'],
        ['from later than to on a region', '/v1/regions/640104/summary?from=2026-03-10&to=2026-03-01'],
      ] as const
    ).map(([name, path]) => ({
      name,
      key: 'analyst' as const,
      method: 'GET' as const,
      path,
      status: 400,
      code: 'VALIDATION_FAILED',
    })),
    // URLs the router cannot match at all
    {
      name: 'a path that is not valid percent-encoding',
      method: 'GET',
      path: '/v1/%zz',
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      name: 'a path parameter of 150 characters',
      key: 'admin',
      method: 'DELETE',
      path: `/v1/admin/keys/${'k'.repeat(150)}`,
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    { name: 'an unknown route', path: '/v1/evnets', body: visit(), status: 404, code: 'NOT_FOUND' },
    {
      name: 'an agency key without organisation',
      key: 'admin',
      path: '/v1/admin/keys',
      body: { role: 'agency', label: 'x' },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'a key for an organisation that is not registered',
      key: 'admin',
      path: '/v1/admin/keys',
      body: { role: 'agency', organisationId: 'org-nowhere', label: 'x' },
      status: 422,
      code: 'ORGANISATION_NOT_REGISTERED',
    },
  ];

  it('answers each of at least 80 requests with its status and code, as problem+json, and appends nothing', async () => {
    const requests = table();
    expect(requests.length).toBeGreaterThanOrEqual(80);
    expect(new Set(requests.map((request) => request.name)).size).toBe(requests.length);
    const failures: string[] = [];
    for (const request of requests) {
      const response = await send(request);
      let body: { code?: string; results?: Array<{ status: number; code?: string }> } = {};
      try {
        body = JSON.parse(response.text);
      } catch {
        failures.push(`${request.name}: not JSON: ${response.text.slice(0, 200)}`);
      }
      if (response.status !== request.status) {
        failures.push(
          `${request.name}: status ${response.status}, expected ${request.status}: ${response.text.slice(0, 300)}`,
        );
      }
      if (request.items) {
        const items = (body.results ?? []).map((result) => ({ status: result.status, code: result.code }));
        if (JSON.stringify(items) !== JSON.stringify(request.items)) {
          failures.push(`${request.name}: items ${JSON.stringify(items)}`);
        }
      } else {
        if (body.code !== request.code)
          failures.push(`${request.name}: code ${body.code}, expected ${request.code}`);
        if (!response.type.startsWith('application/problem+json')) {
          failures.push(`${request.name}: content-type ${response.type}`);
        }
      }
      const size = await settledLedgerSize(server.running.store, lastPosition);
      if (size.head !== baseline.head || size.events !== baseline.events) {
        failures.push(`${request.name}: the ledger moved to ${size.events} events at ${size.head}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing was hidden behind a transaction either: one more good write is exactly one more event.
    const good = await post(world.agencyA, visit());
    const after = await settledLedgerSize(server.running.store, good.position);
    expect(after.events).toBe(baseline.events + 1);
    lastPosition = good.position;
    baseline = after;
  }, 120_000);

  describe('request schemas, property-based', () => {
    const residentId = fc
      .tuple(
        fc.constantFrom('640104', '640105', '640106', '640121', '640122', '640181'),
        fc.date({
          min: new Date('1920-01-01T00:00:00Z'),
          max: new Date('2020-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
      )
      .map(([area, birth, serial]) => {
        const first17 = `${area}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(serial).padStart(3, '0')}`;
        return `${first17}${residentIdCheckCharacter(first17)}`;
      });
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
    const community = fc
      .tuple(
        fc.constantFrom('640104', '640105', '640106'),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 1, max: 999 }),
      )
      .map(
        ([county, town, village]) =>
          `${county}${String(town).padStart(3, '0')}${String(village).padStart(3, '0')}`,
      );
    const occurredAt = fc
      .date({
        min: new Date('2024-01-01T00:00:00Z'),
        max: new Date('2026-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
    const visitArb = fc.record({
      eventId: fc.uuid({ version: 4 }),
      type: fc.constant('VisitRecorded'),
      caseId: fc.uuid({ version: 4 }),
      occurredAt,
      data: fc.record(
        {
          visitId: id,
          workerId: id,
          mode: fc.constantFrom('home', 'phone', 'centre', 'online'),
          durationMinutes: fc.integer({ min: 1, max: 1440 }),
          services: fc.uniqueArray(fc.constantFrom('daily_living', 'counselling', 'tutoring', 'health'), {
            minLength: 1,
            maxLength: 4,
          }),
          notes: fc.string({ minLength: 1, maxLength: 200 }),
        },
        { requiredKeys: ['visitId', 'workerId', 'mode', 'durationMinutes', 'services'] },
      ),
    });
    const intakeArb = fc.record({
      eventId: fc.uuid({ version: 4 }),
      type: fc.constant('IntakeRecorded'),
      caseId: fc.uuid({ version: 4 }),
      occurredAt,
      data: fc.record({
        organisationId: id,
        workerId: id,
        communityCode: community,
        targetGroups: fc.uniqueArray(fc.constantFrom('elderly', 'child', 'disabled', 'low_income'), {
          minLength: 1,
          maxLength: 4,
        }),
        client: fc.record(
          {
            clientRef: id,
            name: fc.string({ minLength: 1, maxLength: 100 }),
            idNumber: residentId,
            phone: fc.stringMatching(/^1[3-9][0-9]{9}$/),
            birthYear: fc.integer({ min: 1900, max: 2100 }),
          },
          { requiredKeys: ['clientRef'] },
        ),
        needs: fc.array(fc.constantFrom('daily_living', 'health', 'tutoring'), { maxLength: 3 }),
        riskLevel: fc.constantFrom('low', 'medium', 'high'),
      }),
    });
    const valid = fc.oneof(visitArb, intakeArb) as fc.Arbitrary<Record<string, unknown>>;

    type Mutation = (envelope: Record<string, unknown>) => Record<string, unknown>;
    const mutations: Array<[string, Mutation]> = [
      ['drop eventId', (e) => without(e, 'eventId')],
      ['drop occurredAt', (e) => without(e, 'occurredAt')],
      ['drop data', (e) => without(e, 'data')],
      ['extra field', (e) => ({ ...e, extra: true })],
      ['extra data field', (e) => ({ ...e, data: { ...(e.data as object), extra: 1 } })],
      ['bad eventId', (e) => ({ ...e, eventId: 'x-1' })],
      ['bad caseId', (e) => ({ ...e, caseId: 12 })],
      ['unknown type', (e) => ({ ...e, type: `${String(e.type)}X` })],
      ['occurredAt without offset', (e) => ({ ...e, occurredAt: String(e.occurredAt).slice(0, 19) })],
      ['data as string', (e) => ({ ...e, data: 'data' })],
      ['negative expectedVersion', (e) => ({ ...e, expectedVersion: -3 })],
    ];
    const mutated = fc.tuple(valid, fc.constantFrom(...mutations)).map(([envelope, [name, mutate]]) => ({
      name,
      envelope: mutate(envelope),
    }));

    it('accepts every valid envelope the arbitraries make', () => {
      fc.assert(
        fc.property(valid, (envelope) => {
          const parsed = parseEnvelope(envelope);
          expect(parsed.success, JSON.stringify(parsed)).toBe(true);
          const idNumber = (envelope.data as { client?: { idNumber?: string } }).client?.idNumber;
          if (idNumber !== undefined) expect(isValidResidentId(idNumber)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('refuses every mutated envelope, in the schema and over HTTP with a 400 code, appending nothing', async () => {
      fc.assert(
        fc.property(mutated, ({ envelope }) => {
          expect(parseEnvelope(envelope).success).toBe(false);
        }),
        { numRuns: 300 },
      );
      await fc.assert(
        fc.asyncProperty(mutated, async ({ name, envelope }) => {
          const response = await send({ name, body: envelope, status: 400, code: '' });
          expect(response.status, name).toBe(400);
          const code = JSON.parse(response.text).code;
          expect(['VALIDATION_FAILED', 'UNKNOWN_EVENT_TYPE'], name).toContain(code);
          expect(code === 'UNKNOWN_EVENT_TYPE', name).toBe(name === 'unknown type');
        }),
        { numRuns: 40 },
      );
      expect(await settledLedgerSize(server.running.store, lastPosition)).toEqual(baseline);
    });

    it('records generated valid visits for a registered worker over HTTP', async () => {
      let written = baseline.head;
      await fc.assert(
        fc.asyncProperty(visitArb, async (generated) => {
          const body = {
            ...generated,
            // fast-check favours a few UUIDs; a repeated one would be an idempotent replay.
            eventId: randomUUID(),
            caseId: caseA,
            occurredAt: daysAgo(0.05),
            data: { ...generated.data, visitId: randomUUID(), workerId: world.ids.workerA },
          };
          const response = await send({ name: 'valid', body, status: 201, code: '' });
          expect(response.status, response.text).toBe(201);
          const position = BigInt(JSON.parse(response.text).position);
          if (position > written) written = position;
        }),
        { numRuns: 15 },
      );
      const after = await settledLedgerSize(server.running.store, written);
      expect(after.events).toBe(baseline.events + 15);
      const stored = await server.running.store.readStream(`case-${caseA}`);
      // The one of beforeAll, the good write after the table, and the fifteen.
      expect(stored.filter((event) => event.type === 'VisitRecorded').length).toBe(2 + 15);
    });
  });
});

/** Limits that need a server of their own: a small rate limit and a short request timeout. */
describe('the edge', () => {
  let server: TestServer;
  let world: World;

  beforeAll(async () => {
    server = await startTestServer({ rateLimit: { max: 12, timeWindowMs: 60_000 }, requestTimeoutMs: 400 });
    world = await buildWorld(server);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('sends the security headers on API answers and problems alike', async () => {
    for (const response of [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/v1/events`, { method: 'POST' }),
    ]) {
      const headers = response.headers;
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('refuses a revoked key at once', async () => {
    const issued = await server
      .as(server.adminKey)
      .post('/v1/admin/keys', { role: 'reviewer', label: 'short-lived' });
    const reviewer = server.as(issued.body.key);
    expect((await reviewer.get('/v1/ledger/verify')).status).toBe(200);
    const revoked = await fetch(`${server.url}/v1/admin/keys/${issued.body.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(revoked.status).toBe(204);
    const refused = await reviewer.get('/v1/ledger/verify');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('KEY_REVOKED');
  });

  /** Writes raw bytes to the server and collects everything it sends until it closes. */
  const rawExchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('utf8');
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.write(bytes);
      setTimeout(() => socket.destroy(new Error('the server kept the connection open for 10 s')), 10_000);
    });
  /** Status, media type and problem body of a raw HTTP/1.1 answer. */
  const rawProblem = (answer: string) => {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    return {
      status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]),
      type: /^content-type: (.*)$/im.exec(head)?.[1],
      problem: JSON.parse(body) as { code: string; status: number; requestId: string; instance: string },
    };
  };

  it('cuts off a request whose body does not arrive in time (408 REQUEST_TIMEOUT) and appends nothing', async () => {
    const before = await settledLedgerSize(server.running.store, world.lastPosition);
    const started = Date.now();
    const answer = await rawExchange(
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${world.keys.agencyA}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"eventId":`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    const { status, type, problem } = rawProblem(answer);
    expect(status).toBe(408);
    expect(type).toBe('application/problem+json');
    expect(problem).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 408 });
    expect(problem.instance).toBe(`urn:uuid:${problem.requestId}`);
    expect(await settledLedgerSize(server.running.store, world.lastPosition)).toEqual(before);
  });

  it('answers headers too large with 431 HEADERS_TOO_LARGE, and bytes that are not HTTP with 400 MALFORMED_REQUEST', async () => {
    const huge = rawProblem(
      await rawExchange(
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    expect(huge).toMatchObject({ status: 431, type: 'application/problem+json' });
    expect(huge.problem).toMatchObject({ code: 'HEADERS_TOO_LARGE', status: 431 });
    const garbage = rawProblem(await rawExchange('HELLO THERE\r\n\r\n'));
    expect(garbage).toMatchObject({ status: 400, type: 'application/problem+json' });
    expect(garbage.problem).toMatchObject({ code: 'MALFORMED_REQUEST', status: 400 });
  });

  it('limits each key on its own: 429 RATE_LIMITED with retry-after, and nothing appended', async () => {
    const key = await server.issueKey('analyst');
    const other = await server.issueKey('analyst');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await server.as(key).get('/v1/stats/service-instances')).status);
    expect(statuses).toEqual(Array(12).fill(200));
    const limited = await server.as(key).get('/v1/stats/service-instances');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await server.as(other).get('/v1/stats/service-instances')).status).toBe(200);

    // A write refused by the limit appends nothing.
    const agency = server.as(world.keys.agencyA);
    let last = world.lastPosition;
    for (let i = 0; i < 12; i++) {
      const response = await agency.post(
        '/v1/events',
        envelope('OrganisationRegistered', {
          organisationId: `o-${i}`,
          name: 'x',
          kind: 'hub',
          regionCode: '640104000000',
        }),
      );
      if (response.status === 201) last = response.body.position;
    }
    const before = await settledLedgerSize(server.running.store, last);
    const refused = await agency.post(
      '/v1/events',
      envelope('CaseReopened', { reason: 'x' }, { caseId: randomUUID() }),
    );
    expect(refused.status).toBe(429);
    expect(await settledLedgerSize(server.running.store, last)).toEqual(before);
  });
});
