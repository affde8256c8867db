import { randomUUID } from 'node:crypto';
import { isEncryptedField } from '@fengcheng/privacy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDatabase, execSql, settledLedgerSize } from './support/ledger';
import { startTestServer, type TestServer } from './support/server';
import { buildWorld, CLIENT, daysAgo, envelope, type Posted, post, type World } from './support/world';

const NOTE = `${CLIENT.name}独居，近期情绪低落，夜间常失眠`;
const SUMMARY = '随访三个月后生活自理能力恢复，目标达成';

/** The demo's fictional clients (services/all-in-one/src/demo.ts): none of it may be stored in the clear. */
const DEMO_SECRETS = [
  '马桂兰',
  '640106194803150020',
  '139 9510 0117',
  '金凤区满城北街某小区 3-2-401',
  '田琦琦',
  '640104201506070032',
  '138 0951 0032',
  '兴庆区银古路某小区 7-1-202',
  '丁永福',
  '640104199002120040',
  '137 0951 0004',
  '兴庆区胜利街上前社区某巷 12 号',
  '老人情绪平稳，协助打扫并陪同聊天',
  '已稳定就业，目标达成',
];
const CASE_SECRETS = [CLIENT.name, CLIENT.idNumber, CLIENT.phone, CLIENT.address, NOTE, SUMMARY];

/**
 * Issue #5 over real HTTP: personal fields are stored encrypted, shown in the clear only to
 * reviewers (who state a purpose) and the owning agency, every such read is in the case's
 * hash-chained audit stream before the data leaves, and erasure shreds the client's key.
 */
describe('personal data, end to end', () => {
  let server: TestServer;
  let world: World;
  const caseId = randomUUID();
  const posted: Posted[] = [];

  const audit = () => server.running.store.readStream(`audit-${caseId}`);
  const history = (api: World['reviewer'], query = '') => api.get(`/v1/cases/${caseId}/history${query}`);

  beforeAll(async () => {
    server = await startTestServer({ demo: true });
    world = await buildWorld(server);
    const { orgA, workerA, projectP } = world.ids;
    const record = async (type: string, data: Record<string, unknown>, occurredAt: string) => {
      posted.push(await post(world.agencyA, envelope(type, data, { caseId, occurredAt })));
    };
    await record(
      'IntakeRecorded',
      {
        organisationId: orgA,
        workerId: workerA,
        projectId: projectP,
        communityCode: '640104010004',
        targetGroups: ['elderly'],
        client: CLIENT,
        needs: ['daily_living'],
        riskLevel: 'medium',
      },
      daysAgo(10),
    );
    await record(
      'VisitRecorded',
      {
        visitId: 'v1',
        workerId: workerA,
        mode: 'home',
        durationMinutes: 50,
        services: ['daily_living', 'counselling'],
        notes: NOTE,
      },
      daysAgo(5),
    );
    await record('CaseClosed', { reason: 'goals_achieved', goalAttainment: 1, summary: SUMMARY }, daysAgo(1));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('stores the personal fields only as AES-256-GCM envelopes, and the hash chain covers them', async () => {
    const stored = await server.running.store.readStream(`case-${caseId}`);
    expect(stored.map((event) => event.type)).toEqual(['IntakeRecorded', 'VisitRecorded', 'CaseClosed']);
    const client = stored[0]!.data.client as Record<string, unknown>;
    for (const field of ['name', 'idNumber', 'phone', 'address']) {
      expect(isEncryptedField(client[field]), field).toBe(true);
      expect((client[field] as { enc: string }).enc).toBe('aes-256-gcm/v1');
    }
    expect(client).toMatchObject({ clientRef: CLIENT.clientRef, birthYear: 1948, gender: 'female' });
    expect(isEncryptedField(stored[1]!.data.notes)).toBe(true);
    expect(isEncryptedField(stored[2]!.data.summary)).toBe(true);
    const text = JSON.stringify(stored.map((event) => event.data));
    for (const secret of CASE_SECRETS) expect(text).not.toContain(secret);
    expect(await server.running.store.verifyStream(`case-${caseId}`)).toMatchObject({ ok: true, events: 3 });
  });

  it('refuses a reviewer without a purpose (400 PURPOSE_REQUIRED) and records nothing', async () => {
    const last = posted.at(-1)!.position;
    const before = await settledLedgerSize(server.running.store, last);
    for (const path of [`/v1/cases/${caseId}/history`, `/v1/cases/${caseId}/state`]) {
      const refused = await world.reviewer.get(path);
      expect(refused.status, path).toBe(400);
      expect(refused.body.code).toBe('PURPOSE_REQUIRED');
      expect(refused.text).not.toContain(CLIENT.name);
    }
    expect((await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=`)).body.code).toBe(
      'VALIDATION_FAILED',
    );
    expect(await settledLedgerSize(server.running.store, last)).toEqual(before);
    expect(await audit()).toEqual([]);
  });

  it('shows a reviewer the plaintext with a stated purpose, after recording the read', async () => {
    const response = await history(world.reviewer, `?purpose=${encodeURIComponent('季度督导抽查')}`);
    expect(response.status).toBe(200);
    const [intake, visit, closed] = response.body.events;
    expect(intake.data.client).toEqual(CLIENT);
    expect(visit.data.notes).toBe(NOTE);
    expect(closed.data.summary).toBe(SUMMARY);
    expect(response.body.verification).toMatchObject({ ok: true, events: 3 });
    // The hashes answered are the stored ones: the chain is over the ciphertext.
    const stored = await server.running.store.readStream(`case-${caseId}`);
    expect(response.body.events.map((e: { hash: string }) => e.hash)).toEqual(stored.map((e) => e.hash));

    const trail = await audit();
    expect(trail).toHaveLength(1);
    expect(trail[0]!.type).toBe('CaseRecordRead');
    expect(trail[0]!.data).toEqual({
      caseId,
      keyId: trail[0]!.metadata.keyId,
      role: 'reviewer',
      purpose: '季度督导抽查',
      route: '/v1/cases/:caseId/history',
    });
    expect(String(trail[0]!.data.keyId)).toMatch(/^key_/);

    const state = await world.reviewer.get(`/v1/cases/${caseId}/state?purpose=closure%20review`);
    expect(state.status).toBe(200);
    expect(state.body.state.closure).toEqual({
      reason: 'goals_achieved',
      goalAttainment: 1,
      summary: SUMMARY,
    });
    expect(state.body.state.clientRef).toBe(CLIENT.clientRef);
    expect((await audit()).map((event) => event.data.route)).toEqual([
      '/v1/cases/:caseId/history',
      '/v1/cases/:caseId/state',
    ]);
  });

  it('lets the owning agency read without a purpose, withholds the fields from admins, refuses the rest', async () => {
    const own = await history(world.agencyA);
    expect(own.status).toBe(200);
    expect(own.body.events[0].data.client.name).toBe(CLIENT.name);
    const afterAgency = await audit();
    expect(afterAgency.at(-1)!.data).toMatchObject({
      role: 'agency',
      organisationId: world.ids.orgA,
      purpose: null,
    });

    expect((await history(world.admin)).body.code).toBe('PURPOSE_REQUIRED');
    const admin = await history(world.admin, '?purpose=key%20incident');
    expect(admin.status).toBe(200);
    expect(admin.body.events[0].data.client).toEqual({
      ...CLIENT,
      name: '[withheld]',
      idNumber: '[withheld]',
      phone: '[withheld]',
      address: '[withheld]',
    });
    expect(admin.body.events[1].data.notes).toBe('[withheld]');
    for (const secret of CASE_SECRETS) expect(admin.text).not.toContain(secret);

    const trailBefore = (await audit()).length;
    expect((await history(world.agencyB)).body.code).toBe('NOT_YOUR_CASE');
    expect((await history(world.analyst, '?purpose=curious')).body.code).toBe('FORBIDDEN_ROLE');
    expect((await world.reviewer.get(`/v1/cases/${randomUUID()}/history?purpose=x`)).status).toBe(404);
    expect(await audit()).toHaveLength(trailBefore);
  });

  it('lists the read trail to admins only, hash-chained, and the projector passes over it', async () => {
    const response = await world.admin.get(`/v1/admin/audit?caseId=${caseId}`);
    expect(response.status).toBe(200);
    expect(
      response.body.entries.map((entry: { role: string; purpose: string | null; route: string }) => [
        entry.role,
        entry.purpose,
        entry.route,
      ]),
    ).toEqual([
      ['reviewer', '季度督导抽查', '/v1/cases/:caseId/history'],
      ['reviewer', 'closure review', '/v1/cases/:caseId/state'],
      ['agency', null, '/v1/cases/:caseId/history'],
      ['admin', 'key incident', '/v1/cases/:caseId/history'],
    ]);
    expect(response.body.verification).toEqual({ ok: true, events: 4 });
    expect(response.body.streamId).toBe(`audit-${caseId}`);

    expect((await world.reviewer.get(`/v1/admin/audit?caseId=${caseId}`)).body.code).toBe('FORBIDDEN_ROLE');
    expect((await world.admin.get(`/v1/admin/audit?caseId=${randomUUID()}`)).body.code).toBe(
      'CASE_NOT_FOUND',
    );
    expect((await world.admin.get('/v1/admin/audit?caseId=nope')).body.code).toBe('VALIDATION_FAILED');

    // The projector has read past the CaseRecordRead events without stopping.
    const head = (await server.running.store.headPosition()).toString();
    const figures = await world.analyst.get(`/v1/stats/service-instances?minPosition=${head}`);
    expect(figures.status).toBe(200);
    const ledger = await world.reviewer.get('/v1/ledger/verify');
    expect(ledger.body).toMatchObject({ ok: true, brokenCount: 0 });
  });

  it('shows nothing when the read cannot be put on record', async () => {
    // A real fault in the real database: the ledger refuses CaseRecordRead events for a moment.
    const { database } = server;
    const exec = (text: string) => execSql(database, text);
    const table = `"${database.schema}".es_events`;
    const fn = `"${database.schema}".refuse_reads`;
    await exec(
      `create function ${fn}() returns trigger language plpgsql as $$
       begin if new.type = 'CaseRecordRead' then raise exception 'audit store unavailable'; end if;
       return new; end $$;
       create trigger refuse_reads before insert on ${table} for each row execute function ${fn}()`,
    );
    const trailBefore = (await audit()).length;
    try {
      for (const path of [`/v1/cases/${caseId}/history`, `/v1/cases/${caseId}/state`]) {
        const response = await world.reviewer.get(`${path}?purpose=audit%20outage`);
        expect(response.status, path).toBe(500);
        for (const secret of CASE_SECRETS) expect(response.text, path).not.toContain(secret);
      }
    } finally {
      await exec(`drop trigger refuse_reads on ${table}; drop function ${fn}()`);
    }
    expect(await audit()).toHaveLength(trailBefore);
    expect((await history(world.reviewer, '?purpose=after%20the%20outage')).status).toBe(200);
  });

  it('keeps no plaintext personal data, key or credential in any table after the demo and a case life', async () => {
    const dump = await dumpDatabase(server.running.database);
    const everything = [...dump.values()].flat().join('\n');
    // The dump is real: it holds the events, the wrapped keys and the read models.
    expect([...dump.keys()].some((table) => table.endsWith('.client_keys'))).toBe(true);
    expect([...dump.keys()].some((table) => table.endsWith('.api_keys'))).toBe(true);
    expect([...dump.keys()].some((table) => table.endsWith('.case_summary'))).toBe(true);
    expect(everything).toContain(CLIENT.clientRef);
    expect(everything).toContain('aes-256-gcm/v1');
    expect(everything).toContain('cuncaoxin');
    for (const secret of [...CASE_SECRETS, ...DEMO_SECRETS, server.adminKey, server.masterKey]) {
      const table = [...dump].find(([, rows]) => rows.some((row) => row.includes(secret)))?.[0];
      expect(table, `${secret} found in ${table}`).toBeUndefined();
    }
  });

  it('erases a client: fields read [erased], the chain verifies, the read models do not move', async () => {
    const figuresOf = async (minPosition: string) => {
      const stats = await world.analyst.get(
        `/v1/stats/service-instances?projectId=${world.ids.projectP}&minPosition=${minPosition}`,
      );
      const outcomes = await world.analyst.get(
        `/v1/projects/outcomes?projectId=${world.ids.projectP}&minPosition=${minPosition}`,
      );
      return { stats: stats.body, outcomes: outcomes.body };
    };
    const before = await figuresOf((await server.running.store.headPosition()).toString());

    const erasure = envelope('PersonalDataErased', {
      organisationId: world.ids.orgA,
      clientRef: CLIENT.clientRef,
      legalBasis: '《个人信息保护法》第四十七条：本人申请删除',
    });
    expect((await world.agencyA.post('/v1/events', erasure)).body.code).toBe('FORBIDDEN_ROLE');
    const erased = await post(world.admin, erasure);
    expect(erased.streamId).toBe(`client-${world.ids.orgA}.${CLIENT.clientRef}`);

    const response = await history(world.reviewer, '?purpose=after%20erasure');
    expect(response.status).toBe(200);
    const [intake, visit, closed] = response.body.events;
    expect(intake.data.client).toEqual({
      clientRef: CLIENT.clientRef,
      name: '[erased]',
      idNumber: '[erased]',
      phone: '[erased]',
      address: '[erased]',
      birthYear: CLIENT.birthYear,
      gender: CLIENT.gender,
    });
    expect(visit.data.notes).toBe('[erased]');
    expect(closed.data.summary).toBe('[erased]');
    expect(response.body.verification).toMatchObject({ ok: true, events: 3 });
    for (const secret of CASE_SECRETS) expect(response.text).not.toContain(secret);
    const ledger = await world.reviewer.get('/v1/ledger/verify');
    expect(ledger.body).toMatchObject({ ok: true, brokenCount: 0 });

    expect(await figuresOf(erased.position)).toEqual(before);

    // The case goes on without personal data; with some, it is refused.
    const reopened = await post(world.agencyA, envelope('CaseReopened', { reason: '复访' }, { caseId }));
    const visit2 = {
      visitId: 'v2',
      workerId: world.ids.workerA,
      mode: 'phone',
      durationMinutes: 10,
      services: ['counselling'],
    };
    const sizeBefore = await settledLedgerSize(server.running.store, reopened.position);
    const refused = await world.agencyA.post(
      '/v1/events',
      envelope('VisitRecorded', { ...visit2, notes: '电话回访' }, { caseId }),
    );
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PERSONAL_DATA_ERASED');
    expect(await settledLedgerSize(server.running.store, reopened.position)).toEqual(sizeBefore);
    const accepted = await post(world.agencyA, envelope('VisitRecorded', visit2, { caseId }));
    expect(accepted.version).toBe(reopened.version + 1);
  });
});
