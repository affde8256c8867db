import { randomUUID } from 'node:crypto';
import { createPostgresEventStore, type EventStore } from '@fengcheng/event-store';
import { readableUpTo } from '@fengcheng/event-store/contract';
import { createHttpApp, type HttpApp, KeyStore, registerAdminRoutes } from '@fengcheng/http';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { decryptField, isEncryptedField, KeyVault } from '@fengcheng/privacy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIngestRoutes } from './events.routes';
import { organisationRegisteredIn } from './registrations';

const ADMIN_KEY = 'ingest-test-admin-key-0123456789';
const MASTER_KEY = Buffer.alloc(32, 42);
const AT = '2026-03-01T07:30:00+08:00';
const LATER = '2026-03-08T07:30:00+08:00';

type Body = Record<string, unknown>;

const intake = (caseId: string, over: Body = {}): Body => ({
  eventId: randomUUID(),
  type: 'IntakeRecorded',
  caseId,
  occurredAt: AT,
  data: {
    organisationId: 'org-a',
    workerId: 'w-a1',
    projectId: 'p-a',
    communityCode: '640104001001',
    targetGroups: ['elderly'],
    client: { clientRef: `client-${caseId.slice(0, 8)}`, name: '王奶奶', birthYear: 1948, gender: 'female' },
    needs: ['daily_living'],
    riskLevel: 'medium',
  },
  ...over,
});

/** An intake of org-b's (its worker, no project). */
const intakeOfB = (caseId: string): Body => {
  const base = intake(caseId);
  const { projectId: _, ...data } = base.data as Body;
  return { ...base, data: { ...data, organisationId: 'org-b', workerId: 'w-b1' } };
};

const visit = (caseId: string, over: Body = {}, workerId = 'w-a1'): Body => ({
  eventId: randomUUID(),
  type: 'VisitRecorded',
  caseId,
  occurredAt: LATER,
  data: { visitId: randomUUID(), workerId, mode: 'home', durationMinutes: 45, services: ['daily_living'] },
  ...over,
});

describe('ingest routes', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let app: HttpApp;
  let vault: KeyVault;
  let agencyA: { keyId: string; key: string };
  let agencyB: { keyId: string; key: string };

  // The newest position any post was answered with: every event in the store is at or below it.
  let written = 0n;

  async function post(key: string, payload: unknown, url = '/v1/events') {
    const response = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${key}` },
      payload: payload as Body,
    });
    const body = String(response.headers['content-type']).startsWith('application/json')
      ? response.json()
      : {};
    for (const { position } of [body, ...(Array.isArray(body.results) ? body.results : [])]) {
      if (typeof position === 'string' && BigInt(position) > written) written = BigInt(position);
    }
    return response;
  }

  /**
   * The head once everything appended so far is readable. On a shared server another
   * session's open transaction can hold the newest appends back from readers for a moment:
   * a head taken then would move on its own, and "appends nothing" could not be told by it.
   */
  async function settledHead(): Promise<bigint> {
    await readableUpTo(store, written);
    return store.headPosition();
  }

  async function expectCreated(key: string, payload: Body) {
    const response = await post(key, payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ eventId: string; streamId: string; version: number; position: string }>();
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    store = await createPostgresEventStore(database);
    const keys = await KeyStore.open(database);
    await keys.ensureAdminKey(ADMIN_KEY);
    const logger = createLogger({ name: 'ingest-test', level: process.env.TEST_LOG ?? 'silent' });
    vault = await KeyVault.open(database, MASTER_KEY);
    app = await createHttpApp({ logger, keys, rateLimit: false });
    registerAdminRoutes(app, { keys, organisationRegistered: organisationRegisteredIn(store) });
    registerIngestRoutes(app, { store, logger, vault });
    await app.ready();

    agencyA = await keys.issue('agency', 'org-a', 'agency A');
    agencyB = await keys.issue('agency', 'org-b', 'agency B');
    const register = (type: string, data: Body): Body => ({
      eventId: randomUUID(),
      type,
      occurredAt: AT,
      data,
    });
    for (const organisationId of ['org-a', 'org-b']) {
      await expectCreated(
        ADMIN_KEY,
        register('OrganisationRegistered', {
          organisationId,
          name: organisationId,
          kind: 'hub',
          regionCode: '640104000000',
        }),
      );
    }
    await expectCreated(
      ADMIN_KEY,
      register('ProjectRegistered', {
        projectId: 'p-a',
        organisationId: 'org-a',
        name: '牵手夕阳红',
        brand: '牵手夕阳红',
        fundingSource: 'venture_philanthropy',
      }),
    );
    await expectCreated(
      agencyA.key,
      register('WorkerRegistered', {
        workerId: 'w-a1',
        organisationId: 'org-a',
        certification: 'junior',
        role: 'frontline',
      }),
    );
    await expectCreated(
      agencyB.key,
      register('WorkerRegistered', {
        workerId: 'w-b1',
        organisationId: 'org-b',
        certification: 'senior',
        role: 'frontline',
      }),
    );
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    await database.drop();
  });

  it('records an intake: 201 with stream, version and position, and the sender in the metadata', async () => {
    const caseId = randomUUID();
    const envelope = intake(caseId);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${agencyA.key}`, 'x-request-id': 'req-intake-1' },
      payload: envelope,
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({
      eventId: envelope.eventId,
      streamId: `case-${caseId}`,
      version: 1,
      position: body.position,
    });
    expect(body.position).toMatch(/^[1-9][0-9]*$/);
    const [stored] = await store.readStream(`case-${caseId}`);
    expect(stored?.position.toString()).toBe(body.position);
    expect(stored?.metadata).toEqual({
      organisationId: 'org-a',
      keyId: agencyA.keyId,
      role: 'agency',
      correlationId: 'req-intake-1',
      schemaVersion: 1,
    });
  });

  it('answers a retried post with the first result and appends nothing, even after the case moved on', async () => {
    const caseId = randomUUID();
    const envelope = intake(caseId);
    const first = await expectCreated(agencyA.key, envelope);
    await expectCreated(agencyA.key, visit(caseId));
    const head = await settledHead();

    const retry = await post(agencyA.key, envelope);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first);
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(await store.headPosition()).toBe(head);
    expect(await store.streamVersion(`case-${caseId}`)).toBe(2);
  });

  it('stores personal fields encrypted under the client key, so a retry stays byte-identical', async () => {
    const caseId = randomUUID();
    const envelope = intake(caseId, {});
    const withPersonal = {
      ...envelope,
      data: {
        ...(envelope.data as Body),
        client: { clientRef: `client-${caseId.slice(0, 8)}`, name: '王奶奶', phone: '139 0000 1111' },
      },
    };
    await expectCreated(agencyA.key, withPersonal);
    const notes = visit(caseId);
    (notes.data as Body).notes = '独居，情绪低落';
    await expectCreated(agencyA.key, notes);
    const [storedIntake, storedVisit] = await store.readStream(`case-${caseId}`);
    const client = storedIntake?.data.client as Record<string, unknown>;
    expect(client.clientRef).toBe(`client-${caseId.slice(0, 8)}`);
    expect(isEncryptedField(client.name)).toBe(true);
    expect(isEncryptedField(client.phone)).toBe(true);
    expect(isEncryptedField(storedVisit?.data.notes)).toBe(true);
    expect(JSON.stringify([storedIntake?.data, storedVisit?.data])).not.toMatch(
      /王奶奶|139 0000 1111|情绪低落/,
    );
    const key = await vault.keyForReading({
      organisationId: 'org-a',
      clientRef: `client-${caseId.slice(0, 8)}`,
    });
    expect(Buffer.isBuffer(key)).toBe(true);
    expect(
      decryptField(key as Buffer, notes.eventId as string, 'notes', storedVisit?.data.notes as never),
    ).toBe('独居，情绪低落');
    const head = await settledHead();
    const retry = await post(agencyA.key, notes);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replay']).toBe('true');
    expect(await store.headPosition()).toBe(head);
    const changed = await post(agencyA.key, { ...notes, data: { ...(notes.data as Body), notes: '别的' } });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('EVENT_ID_CONFLICT');
  });

  it('erases a client: the key is destroyed after the event, and no personal field is taken for them again', async () => {
    const caseId = randomUUID();
    const clientRef = `client-${caseId.slice(0, 8)}`;
    await expectCreated(agencyA.key, intake(caseId));
    const erasure = {
      eventId: randomUUID(),
      type: 'PersonalDataErased',
      occurredAt: LATER,
      data: { organisationId: 'org-a', clientRef, legalBasis: 'PIPL art. 47 request of 2026-03-08' },
    };
    const refused = await post(agencyA.key, erasure);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('FORBIDDEN_ROLE');
    expect(Buffer.isBuffer(await vault.keyForReading({ organisationId: 'org-a', clientRef }))).toBe(true);
    const erased = await expectCreated(ADMIN_KEY, erasure);
    expect(erased.streamId).toBe(`client-org-a.${clientRef}`);
    expect(await vault.keyForReading({ organisationId: 'org-a', clientRef })).toBe('erased');

    const head = await settledHead();
    const withNotes = visit(caseId);
    (withNotes.data as Body).notes = '不应再记录';
    const noMore = await post(agencyA.key, withNotes);
    expect(noMore.statusCode).toBe(409);
    expect(noMore.json().code).toBe('PERSONAL_DATA_ERASED');
    expect(await store.headPosition()).toBe(head);
    expect((await expectCreated(agencyA.key, visit(caseId))).version).toBe(2);
    // An erasure naming no client the ledger holds data of is refused, and nothing is recorded.
    const before = await settledHead();
    for (const data of [
      { organisationId: 'org-a', clientRef: `${clientRef}-typo` },
      { organisationId: 'org-b', clientRef },
    ]) {
      const mistaken = await post(ADMIN_KEY, {
        ...erasure,
        eventId: randomUUID(),
        data: { ...erasure.data, ...data },
      });
      expect(mistaken.statusCode).toBe(422);
      expect(mistaken.json().code).toBe('CLIENT_NOT_FOUND');
    }
    expect(await store.headPosition()).toBe(before);
    // A retried erasure answers the first result (and erases again, which changes nothing).
    const retried = await post(ADMIN_KEY, erasure);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toEqual(erased);
  });

  it('refuses the same eventId with a different body: 409 EVENT_ID_CONFLICT', async () => {
    const caseId = randomUUID();
    const envelope = intake(caseId);
    await expectCreated(agencyA.key, envelope);
    const changed = { ...envelope, data: { ...(envelope.data as Body), riskLevel: 'high' } };
    const response = await post(agencyA.key, changed);
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('EVENT_ID_CONFLICT');
    expect(await store.streamVersion(`case-${caseId}`)).toBe(1);
  });

  it('treats sourceSystem/sourceRecordId as a second idempotency key', async () => {
    const caseId = randomUUID();
    const source = { sourceSystem: 'casebook', sourceRecordId: `rec-${caseId}` };
    const first = await expectCreated(agencyA.key, intake(caseId, source));
    const head = await settledHead();
    const resent = await post(agencyA.key, { ...intake(caseId, source), eventId: randomUUID() });
    expect(resent.statusCode).toBe(201);
    expect(resent.json()).toEqual(first);
    expect(await store.headPosition()).toBe(head);
    const different = await post(agencyA.key, {
      ...intake(caseId, source),
      eventId: randomUUID(),
      occurredAt: '2026-03-02T07:30:00+08:00',
    });
    expect(different.statusCode).toBe(409);
    expect(different.json().code).toBe('SOURCE_RECORD_CONFLICT');
  });

  it("keeps each agency's source records its own: the same pair from another agency is another record", async () => {
    const source = { sourceSystem: 'casebook', sourceRecordId: `rec-${randomUUID()}` };
    const caseA = randomUUID();
    const caseB = randomUUID();
    await expectCreated(agencyA.key, intake(caseA));
    await expectCreated(agencyB.key, intakeOfB(caseB));
    const ofA = await expectCreated(agencyA.key, visit(caseA, source));
    const ofB = await post(agencyB.key, visit(caseB, source, 'w-b1'));
    expect(ofB.statusCode, ofB.body).toBe(201);
    expect(ofB.headers['idempotent-replay']).toBeUndefined();
    expect(ofB.json().position).not.toBe(ofA.position);
    // Under its own pair, a different body is a conflict, and the refusal names nothing of A's.
    const again = await post(agencyB.key, { ...visit(caseB, source, 'w-b1'), eventId: randomUUID() });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('SOURCE_RECORD_CONFLICT');
    expect(again.json().detail).not.toContain('org-a');
  });

  it("answers a retry only to the agency that sent it: another's copy of the envelope is 409 EVENT_ID_CONFLICT", async () => {
    const caseId = randomUUID();
    const envelope = intake(caseId);
    const first = await expectCreated(agencyA.key, envelope);
    const head = await settledHead();
    const copied = await post(agencyB.key, envelope);
    expect(copied.statusCode).toBe(409);
    expect(copied.json().code).toBe('EVENT_ID_CONFLICT');
    expect(copied.body).not.toContain(first.position);
    expect(copied.headers['idempotent-replay']).toBeUndefined();
    const batch = await post(agencyB.key, { events: [envelope] }, '/v1/events/batch');
    expect(batch.json().results[0]).toMatchObject({ status: 409, code: 'EVENT_ID_CONFLICT' });
    const retried = await post(agencyA.key, envelope);
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toEqual(first);
    expect(await store.headPosition()).toBe(head);
  });

  it('takes a caseId or eventId in upper case for the same case and the same event', async () => {
    const caseId = randomUUID();
    await expectCreated(agencyA.key, intake(caseId));
    const shouted = visit(caseId.toUpperCase());
    const recorded = await expectCreated(agencyA.key, shouted);
    expect(recorded).toMatchObject({ streamId: `case-${caseId}`, version: 2 });
    const retry = await post(agencyA.key, { ...shouted, eventId: String(shouted.eventId).toUpperCase() });
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(recorded);
    expect(retry.headers['idempotent-replay']).toBe('true');
    const twice = await post(
      agencyA.key,
      {
        events: [
          visit(caseId, { eventId: shouted.eventId }),
          visit(caseId, { eventId: String(shouted.eventId).toUpperCase() }),
        ],
      },
      '/v1/events/batch',
    );
    expect(twice.statusCode).toBe(400);
    expect(twice.json().code).toBe('DUPLICATE_EVENT_IN_BATCH');
  });

  it('refuses an occurredAt before 2000 with 422 OCCURRED_TOO_EARLY (the year 1 once stopped the projector)', async () => {
    const caseId = randomUUID();
    await expectCreated(agencyA.key, intake(caseId));
    const head = await settledHead();
    const response = await post(agencyA.key, visit(caseId, { occurredAt: '0001-01-01T00:00:00+14:00' }));
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('OCCURRED_TOO_EARLY');
    expect(await store.headPosition()).toBe(head);
  });

  it('refuses a stale expectedVersion with 409 EXPECTED_VERSION_MISMATCH and appends nothing', async () => {
    const caseId = randomUUID();
    await expectCreated(agencyA.key, intake(caseId, { expectedVersion: 0 }));
    await expectCreated(agencyA.key, visit(caseId, { expectedVersion: 1 }));
    const head = await settledHead();
    const stale = await post(agencyA.key, visit(caseId, { expectedVersion: 1 }));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      code: 'EXPECTED_VERSION_MISMATCH',
      status: 409,
      streamId: `case-${caseId}`,
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect(await store.headPosition()).toBe(head);
  });

  it("refuses another agency's case with 403 NOT_YOUR_CASE, whatever version it names", async () => {
    const caseId = randomUUID();
    await expectCreated(agencyA.key, intake(caseId));
    const response = await post(agencyB.key, visit(caseId, {}, 'w-b1'));
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('NOT_YOUR_CASE');
    // Not 409 with the case's version: a stream's version is told only to who may write to it.
    const guessed = await post(agencyB.key, visit(caseId, { expectedVersion: 0 }, 'w-b1'));
    expect(guessed.statusCode).toBe(403);
    expect(guessed.json().code).toBe('NOT_YOUR_CASE');
    expect(await store.streamVersion(`case-${caseId}`)).toBe(1);
  });

  it('enforces the case rules: nothing before intake (409 CASE_NOT_OPENED)', async () => {
    const response = await post(agencyA.key, visit(randomUUID()));
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('CASE_NOT_OPENED');
  });

  it('answers a bad body with a problem+json 400 VALIDATION_FAILED listing the issues', async () => {
    const envelope = intake(randomUUID());
    const response = await post(agencyA.key, {
      ...envelope,
      data: { ...(envelope.data as Body), riskLevel: 'extreme' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = response.json();
    expect(body).toEqual({
      type: 'urn:fengcheng:problem:validation-failed',
      title: 'The request does not match the schema',
      status: 400,
      detail: body.detail,
      instance: '/v1/events',
      code: 'VALIDATION_FAILED',
      requestId: response.headers['x-request-id'],
      issues: [{ path: 'data.riskLevel', message: body.issues[0].message }],
    });
    expect(body.detail).toContain('data.riskLevel');
  });

  it('answers an unknown event type with 400 UNKNOWN_EVENT_TYPE', async () => {
    const response = await post(agencyA.key, { ...intake(randomUUID()), type: 'CaseDeleted' });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('UNKNOWN_EVENT_TYPE');
  });

  it('refuses roles other than agency and admin with 403 FORBIDDEN_ROLE', async () => {
    const keys = await KeyStore.open(database);
    const analyst = await keys.issue('analyst', undefined, 'analyst');
    const response = await post(analyst.key, intake(randomUUID()));
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('FORBIDDEN_ROLE');
  });

  it('refuses a revoked key with 401 KEY_REVOKED', async () => {
    const issued = await post(
      ADMIN_KEY,
      { role: 'agency', organisationId: 'org-a', label: 'short-lived' },
      '/v1/admin/keys',
    );
    const { keyId, key } = issued.json<{ keyId: string; key: string }>();
    await expectCreated(key, intake(randomUUID()));
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/v1/admin/keys/${keyId}`,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(revoked.statusCode).toBe(204);
    const response = await post(key, intake(randomUUID()));
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('KEY_REVOKED');
  });

  it('issues no key for an organisation that is not registered (422 ORGANISATION_NOT_REGISTERED), and one once it is', async () => {
    const organisationId = `org-new-${randomUUID().slice(0, 8)}`;
    const body = { role: 'agency', organisationId, label: 'too early' };
    const refused = await post(ADMIN_KEY, body, '/v1/admin/keys');
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'ORGANISATION_NOT_REGISTERED', status: 422 });
    expect(refused.json().detail).toContain(organisationId);
    await expectCreated(ADMIN_KEY, {
      eventId: randomUUID(),
      type: 'OrganisationRegistered',
      occurredAt: AT,
      data: { organisationId, name: organisationId, kind: 'hub', regionCode: '640104000000' },
    });
    const issued = await post(ADMIN_KEY, body, '/v1/admin/keys');
    expect(issued.statusCode).toBe(201);
    await expectCreated(issued.json<{ key: string }>().key, {
      eventId: randomUUID(),
      type: 'WorkerRegistered',
      occurredAt: AT,
      data: { workerId: `${organisationId}-w1`, organisationId, certification: 'junior', role: 'frontline' },
    });
  });

  it('decides concurrent posts to one case without an expectedVersion one after another', async () => {
    const caseId = randomUUID();
    await expectCreated(agencyA.key, intake(caseId));
    const responses = await Promise.all([1, 2, 3].map(() => post(agencyA.key, visit(caseId))));
    expect(responses.map((response) => response.statusCode)).toEqual([201, 201, 201]);
    expect(responses.map((response) => response.json().version).sort()).toEqual([2, 3, 4]);
  });

  it('stays right when another process writes the same case (its own view of the stream goes stale)', async () => {
    const keys = await KeyStore.open(database);
    const logger = createLogger({ name: 'ingest-test-2', level: 'silent' });
    const other = await createHttpApp({ logger, keys, rateLimit: false });
    registerIngestRoutes(other, { store, logger, vault: await KeyVault.open(database, MASTER_KEY) });
    try {
      const caseId = randomUUID();
      const envelope = intake(caseId);
      const first = await expectCreated(agencyA.key, envelope);
      const viaOther = await other.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${agencyA.key}` },
        payload: visit(caseId, { expectedVersion: 1 }),
      });
      expect(viaOther.statusCode).toBe(201);
      // This process last saw version 1; the client rightly says 2.
      expect((await expectCreated(agencyA.key, visit(caseId, { expectedVersion: 2 }))).version).toBe(3);
      expect((await expectCreated(agencyA.key, visit(caseId))).version).toBe(4);
      // A process that never saw the case answers a retry of its intake with the first result.
      const retried = await other.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${agencyA.key}` },
        payload: envelope,
      });
      expect(retried.statusCode).toBe(201);
      expect(retried.json()).toEqual(first);
      expect(await store.streamVersion(`case-${caseId}`)).toBe(4);
    } finally {
      await other.close();
    }
  });

  it('keeps a stream in memory from its second write on: a new case costs no read, its next post one, then none', async () => {
    let reads = 0;
    const counting = new Proxy(store, {
      get(target, property) {
        if (property === 'readStream') {
          return (streamId: string) => {
            // The registrations' own reads (organisation, worker) are not the case's.
            if (streamId.startsWith('case-')) reads++;
            return target.readStream(streamId);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const keys = await KeyStore.open(database);
    const logger = createLogger({ name: 'ingest-test-reads', level: 'silent' });
    const other = await createHttpApp({ logger, keys, rateLimit: false });
    registerIngestRoutes(other, { store: counting, logger, vault });
    const send = async (payload: Body) => {
      const response = await other.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${agencyA.key}` },
        payload,
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ version: number }>().version;
    };
    try {
      const caseId = randomUUID();
      expect(await send(intake(caseId))).toBe(1);
      expect(reads).toBe(0);
      expect(await send(visit(caseId))).toBe(2);
      expect(reads).toBe(1);
      expect(await send(visit(caseId))).toBe(3);
      expect(await send(visit(caseId, { expectedVersion: 3 }))).toBe(4);
      expect(reads).toBe(1);
    } finally {
      await other.close();
    }
  });

  describe('batch', () => {
    it('appends the events of one case all or none, and answers one result per item', async () => {
      const good = randomUUID();
      const bad = randomUUID();
      const head = await settledHead();
      const events = [intake(good), intake(bad), visit(good), visit(bad, {}, 'w-b1')];
      const response = await post(agencyA.key, { events }, '/v1/events/batch');
      expect(response.statusCode).toBe(200);
      const { results } = response.json();
      expect(results.map((r: Body) => [r.index, r.status, r.code, r.version, r.streamId])).toEqual([
        [0, 201, undefined, 1, `case-${good}`],
        [1, 424, 'BATCH_GROUP_REJECTED', undefined, undefined],
        [2, 201, undefined, 2, `case-${good}`],
        [3, 403, 'WORKER_OF_OTHER_ORGANISATION', undefined, undefined],
      ]);
      expect(results[1].failedIndex).toBe(3);
      expect(results[1].eventId).toBe(events[1]?.eventId);
      expect(await store.streamVersion(`case-${bad}`)).toBe(0);
      expect(await store.streamVersion(`case-${good}`)).toBe(2);
      // Another session's open transaction on a shared server may hold the newest appends back
      // from readers for a moment (and may have held `head` back): wait, and look at these two cases.
      await readableUpTo(store, BigInt(results[2].position));
      const appended = (await store.readAll({ after: head })).filter((event) =>
        [`case-${good}`, `case-${bad}`].includes(event.streamId),
      );
      expect(appended.map((event) => event.eventId)).toEqual([events[0]?.eventId, events[2]?.eventId]);
    });

    it('leaves no trace of a group it refused in what the next post to the case is decided on', async () => {
      const caseId = randomUUID();
      await expectCreated(agencyA.key, intake(caseId));
      const referral = (type: string, data: Body): Body => ({
        eventId: randomUUID(),
        type,
        caseId,
        occurredAt: LATER,
        data: { referralId: 'r-1', ...data },
      });
      const made = referral('ReferralMade', {
        toOrganisation: 'org-a',
        service: 'health',
        reason: 'needs rehabilitation',
        urgency: 'routine',
      });
      const refused = await post(
        agencyA.key,
        { events: [made, visit(caseId, {}, 'w-b1')] },
        '/v1/events/batch',
      );
      expect(refused.json().results.map((r: Body) => r.code)).toEqual([
        'BATCH_GROUP_REJECTED',
        'WORKER_OF_OTHER_ORGANISATION',
      ]);
      // Had the referral stayed in the case's kept state, accepting it would pass.
      const accepted = await post(agencyA.key, referral('ReferralAccepted', {}));
      expect(accepted.statusCode, accepted.body).toBe(409);
      expect(accepted.json().code).toBe('REFERRAL_NOT_FOUND');
      expect((await expectCreated(agencyA.key, visit(caseId))).version).toBe(2);
    });

    it('answers a retried batch with the same results and appends nothing', async () => {
      const caseId = randomUUID();
      const events = [intake(caseId), visit(caseId)];
      const first = await post(agencyA.key, { events }, '/v1/events/batch');
      const head = await settledHead();
      const again = await post(agencyA.key, { events }, '/v1/events/batch');
      expect(again.statusCode).toBe(200);
      const strip = (results: Body[]) => results.map(({ replay: _replay, ...rest }) => rest);
      expect(strip(again.json().results)).toEqual(strip(first.json().results));
      expect(again.json().results.map((r: Body) => r.replay)).toEqual([true, true]);
      expect(await store.headPosition()).toBe(head);
    });

    it('sends a case’s retried items back to the store in one append, and refuses a changed one in its own place', async () => {
      const appends: string[] = [];
      const counting = new Proxy(store, {
        get(target, property) {
          if (property === 'append') {
            return (
              streamId: string,
              ...rest: Parameters<EventStore['append']> extends [string, ...infer R] ? R : never
            ) => {
              appends.push(streamId);
              return target.append(streamId, ...rest);
            };
          }
          const value = Reflect.get(target, property);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const keys = await KeyStore.open(database);
      const logger = createLogger({ name: 'ingest-test-appends', level: 'silent' });
      const other = await createHttpApp({
        logger,
        keys,
        rateLimit: false,
      });
      registerIngestRoutes(other, { store: counting, logger, vault });
      const batch = (events: Body[]) =>
        other.inject({
          method: 'POST',
          url: '/v1/events/batch',
          headers: { authorization: `Bearer ${agencyA.key}` },
          payload: { events },
        });
      try {
        const caseId = randomUUID();
        const streamId = `case-${caseId}`;
        expect((await batch([intake(caseId)])).json().results[0].version).toBe(1);
        // The case's second write: from now on its view is kept in memory, and a retry of
        // these visits is known to be in the stream before anything is decided.
        const events = [visit(caseId), visit(caseId), visit(caseId)];
        const first = await batch(events);
        expect(first.json().results.map((r: Body) => r.version)).toEqual([2, 3, 4]);
        const head = await settledHead();

        appends.length = 0;
        const again = await batch(events);
        expect(again.json().results).toEqual(first.json().results.map((r: Body) => ({ ...r, replay: true })));
        // The three retries in one append to the case, not one each.
        expect(appends.filter((id) => id === streamId)).toEqual([streamId]);

        // A retry whose body changed, between unchanged ones and before a new visit.
        const changed = { ...events[1]!, data: { ...(events[1]!.data as Body), durationMinutes: 5 } };
        const mixed = await batch([events[0]!, changed, events[2]!, visit(caseId)]);
        expect(mixed.json().results.map((r: Body) => [r.status, r.code])).toEqual([
          [201, undefined],
          [409, 'EVENT_ID_CONFLICT'],
          [424, 'BATCH_GROUP_REJECTED'],
          [424, 'BATCH_GROUP_REJECTED'],
        ]);
        expect(await store.streamVersion(streamId)).toBe(4);
        expect(await store.headPosition()).toBe(head);
      } finally {
        await other.close();
      }
    });

    it('records registrations before the events in the same batch that name them', async () => {
      const caseId = randomUUID();
      const events = [
        intake(caseId, { data: { ...(intake(caseId).data as Body), workerId: 'w-a9' } }),
        {
          eventId: randomUUID(),
          type: 'WorkerRegistered',
          occurredAt: AT,
          data: { workerId: 'w-a9', organisationId: 'org-a', certification: 'none', role: 'frontline' },
        },
      ];
      const response = await post(agencyA.key, { events }, '/v1/events/batch');
      expect(response.json().results.map((r: Body) => [r.status, r.streamId])).toEqual([
        [201, `case-${caseId}`],
        [201, 'worker-w-a9'],
      ]);
    });

    it('reports an invalid item in its result and rejects the rest of its case', async () => {
      const caseId = randomUUID();
      const events = [intake(caseId), { ...visit(caseId), data: { visitId: 'v' } }];
      const { results } = (await post(agencyA.key, { events }, '/v1/events/batch')).json();
      expect(results.map((r: Body) => [r.status, r.code])).toEqual([
        [424, 'BATCH_GROUP_REJECTED'],
        [400, 'VALIDATION_FAILED'],
      ]);
      expect(results[1].issues.length).toBeGreaterThan(0);
      expect(await store.streamVersion(`case-${caseId}`)).toBe(0);
    });

    it('rejects the rest of a case whose invalid item names it in upper case', async () => {
      const caseId = randomUUID();
      await expectCreated(agencyA.key, intake(caseId));
      const events = [visit(caseId), { ...visit(caseId.toUpperCase()), data: { visitId: 'v' } }];
      const { results } = (await post(agencyA.key, { events }, '/v1/events/batch')).json();
      expect(results.map((r: Body) => [r.status, r.code])).toEqual([
        [424, 'BATCH_GROUP_REJECTED'],
        [400, 'VALIDATION_FAILED'],
      ]);
      expect(await store.streamVersion(`case-${caseId}`)).toBe(1);
    });

    it('refuses a batch that repeats an eventId with 400 DUPLICATE_EVENT_IN_BATCH before writing anything', async () => {
      const caseId = randomUUID();
      const first = intake(caseId);
      const head = await settledHead();
      const response = await post(agencyA.key, { events: [first, visit(caseId), first] }, '/v1/events/batch');
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('DUPLICATE_EVENT_IN_BATCH');
      expect(await store.headPosition()).toBe(head);
    });

    it('refuses a field beside events with 400 VALIDATION_FAILED, as the schema it documents says', async () => {
      const response = await post(agencyA.key, { events: [], note: 'x' }, '/v1/events/batch');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'note' }] });
    });

    it('refuses more than 1,000 events with 413 BATCH_TOO_LARGE', async () => {
      const caseId = randomUUID();
      const events = Array.from({ length: 1001 }, () => ({ eventId: randomUUID(), caseId }));
      const response = await post(agencyA.key, { events }, '/v1/events/batch');
      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('BATCH_TOO_LARGE');
    });
  });

  it('lists both routes and the envelope schema in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/batch']));
    expect(document.components.schemas.EventEnvelope).toBeDefined();
  });
});
