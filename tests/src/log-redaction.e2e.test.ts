import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@fengcheng/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';
import { buildWorld, CLIENT, daysAgo, envelope, post, type World } from './support/world';

const NOTE = `${CLIENT.name}说夜里睡不着，儿子在外地打工`;
const SUMMARY = '已联系社区网格员每周探望，结案';
/** Personal data of the demo's fictional clients (services/all-in-one/src/demo.ts). */
const DEMO_SECRETS = ['马桂兰', '640106194803150020', '139 9510 0117', '田琦琦', '丁永福', '老人情绪平稳'];

/**
 * Logs never hold personal data or credentials, by configuration: the whole process logs at
 * trace level into memory while the demo loads, a case lives, every role reads, bad requests
 * are refused and a client is erased — and not one seeded secret is in what was written.
 */
describe('logs, captured at trace level', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  let server: TestServer;
  let world: World;
  let revokedKey = '';
  const caseId = randomUUID();

  beforeAll(async () => {
    server = await startTestServer({
      demo: true,
      logger: createLogger({ name: 'e2e-logs', level: 'trace' }, sink),
    });
    world = await buildWorld(server);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('runs the scenarios: demo, a case life, reads by every role, refusals and an erasure', async () => {
    const { orgA, workerA, projectP } = world.ids;
    const write = (type: string, data: Record<string, unknown>, occurredAt: string) =>
      post(world.agencyA, envelope(type, data, { caseId, occurredAt }));
    const intake = envelope(
      'IntakeRecorded',
      {
        organisationId: orgA,
        workerId: workerA,
        projectId: projectP,
        communityCode: '640104010004',
        targetGroups: ['elderly'],
        client: CLIENT,
        needs: ['daily_living'],
        riskLevel: 'high',
      },
      { caseId, occurredAt: daysAgo(9) },
    );
    await post(world.agencyA, intake);
    // A retry and a conflicting re-use of the same eventId, both carrying the client.
    expect((await world.agencyA.post('/v1/events', intake)).status).toBe(201);
    const conflicting = { ...intake, data: { ...intake.data, riskLevel: 'low' } };
    expect((await world.agencyA.post('/v1/events', conflicting)).status).toBe(409);
    await write(
      'VisitRecorded',
      {
        visitId: 'v1',
        workerId: workerA,
        mode: 'home',
        durationMinutes: 40,
        services: ['counselling'],
        notes: NOTE,
      },
      daysAgo(5),
    );
    const batch = await world.agencyA.post('/v1/events/batch', {
      events: [
        envelope(
          'VisitRecorded',
          {
            visitId: 'v2',
            workerId: workerA,
            mode: 'phone',
            durationMinutes: 10,
            services: ['health'],
            notes: NOTE,
          },
          { caseId, occurredAt: daysAgo(3) },
        ),
        envelope('VisitRecorded', { visitId: 'v3', workerId: 'nobody', mode: 'x', notes: NOTE }, { caseId }),
      ],
    });
    expect(batch.status).toBe(200);
    const closed = await write(
      'CaseClosed',
      { reason: 'goals_achieved', goalAttainment: 2, summary: SUMMARY },
      daysAgo(1),
    );

    // Reads by every role, allowed and refused.
    expect((await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=log%20test`)).status).toBe(200);
    expect((await world.reviewer.get(`/v1/cases/${caseId}/state?purpose=log%20test`)).status).toBe(200);
    expect((await world.agencyA.get(`/v1/cases/${caseId}/history`)).status).toBe(200);
    expect((await world.admin.get(`/v1/cases/${caseId}/history?purpose=incident`)).status).toBe(200);
    expect((await world.agencyB.get(`/v1/cases/${caseId}/history`)).status).toBe(403);
    expect((await world.reviewer.get(`/v1/cases/${caseId}/history`)).status).toBe(400);
    expect(
      (await world.analyst.get(`/v1/stats/service-instances?minPosition=${closed.position}`)).status,
    ).toBe(200);
    expect((await world.admin.get(`/v1/admin/audit?caseId=${caseId}`)).status).toBe(200);

    // Refusals whose bodies carry personal data, and credentials that are wrong or revoked.
    const raw = async (body: string, key: string, contentType = 'application/json') =>
      (
        await fetch(`${server.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
          body,
        })
      ).status;
    expect(
      await raw(`{"client":{"name":"${CLIENT.name}","idNumber":"${CLIENT.idNumber}"`, world.keys.agencyA),
    ).toBe(400);
    expect(
      await raw(
        JSON.stringify({ ...intake, eventId: randomUUID(), extra: CLIENT.phone }),
        world.keys.agencyA,
      ),
    ).toBe(400);
    expect(await raw(JSON.stringify(intake), world.keys.agencyA, 'text/plain')).toBe(415);
    expect(
      await raw(
        JSON.stringify({
          ...intake,
          eventId: randomUUID(),
          data: { ...intake.data, client: { ...CLIENT, idNumber: '640104194803150010' } },
        }),
        world.keys.agencyA,
      ),
    ).toBe(400);
    expect(await raw(JSON.stringify(intake), `fck_${'Z'.repeat(43)}`)).toBe(401);
    const issued = await world.admin.post('/v1/admin/keys', {
      role: 'agency',
      organisationId: orgA,
      label: 'to revoke',
    });
    revokedKey = issued.body.key;
    await fetch(`${server.url}/v1/admin/keys/${issued.body.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(await raw(JSON.stringify(intake), revokedKey)).toBe(401);

    // Erasure, and a refused personal field afterwards.
    await post(
      world.admin,
      envelope('PersonalDataErased', {
        organisationId: orgA,
        clientRef: CLIENT.clientRef,
        legalBasis: '本人申请',
      }),
    );
    expect((await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=after`)).status).toBe(200);
    await post(world.agencyA, envelope('CaseReopened', { reason: '复访' }, { caseId }));
    const refused = await world.agencyA.post(
      '/v1/events',
      envelope(
        'VisitRecorded',
        {
          visitId: 'v4',
          workerId: workerA,
          mode: 'home',
          durationMinutes: 5,
          services: ['other'],
          notes: NOTE,
        },
        { caseId },
      ),
    );
    expect(refused.body.code).toBe('PERSONAL_DATA_ERASED');

    // And the configuration itself: a line that names the paths gets them censored.
    server.running.app.log.info(
      {
        req: { headers: { authorization: `Bearer ${world.keys.reviewer}` } },
        body: intake,
        data: { client: CLIENT, notes: NOTE, summary: SUMMARY },
        event: { data: { client: CLIENT, notes: NOTE } },
        masterKey: server.masterKey,
      },
      'a careless line',
    );
  }, 60_000);

  it('wrote plenty, at every level down to debug, and not one secret', () => {
    const text = lines.join('');
    // The capture is real: the demo, the writes, the reads and the refusals were logged.
    expect(lines.length).toBeGreaterThan(100);
    for (const message of [
      'demo loaded',
      'event recorded',
      'case history read',
      'request refused',
      'a careless line',
    ]) {
      expect(text, message).toContain(message);
    }
    expect(text).toContain('"level":20');
    expect(text).toContain('[redacted]');

    const secrets: Array<[string, string]> = [
      ['name', CLIENT.name],
      ['idNumber', CLIENT.idNumber],
      ['phone', CLIENT.phone],
      ['address', CLIENT.address],
      ['notes', NOTE],
      ['summary', SUMMARY],
      ['admin key', server.adminKey],
      ['master key', server.masterKey],
      ['revoked key', revokedKey],
      ...Object.entries(world.keys).map(([role, key]): [string, string] => [`${role} key`, key]),
      ...DEMO_SECRETS.map((secret): [string, string] => ['demo', secret]),
    ];
    for (const [what, secret] of secrets) {
      expect(secret.length, what).toBeGreaterThan(1);
      const line = lines.find((l) => l.includes(secret));
      expect(line, `${what} leaked in: ${line}`).toBeUndefined();
    }
  });
});
