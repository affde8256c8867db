import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execSql, settledLedgerSize } from './support/ledger';
import { startTestServer, type TestServer } from './support/server';
import { buildWorld, CLIENT, daysAgo, envelope, type Posted, post, type World } from './support/world';

/**
 * One case's whole life over real HTTP against the all-in-one process, and what every role
 * sees of it: the analyst's figures move by exactly the counting rule, the reviewer replays
 * the past, another agency is refused, and no analyst answer carries personal data.
 */
describe('a case from intake to closure, end to end', () => {
  let server: TestServer;
  let world: World;
  const caseId = randomUUID();
  const posted: Posted[] = [];
  let last = '0';

  /** The service-instance total an analyst sees for project P once the projections reach `last`. */
  const projectTotal = async () => {
    const response = await world.analyst.get(
      `/v1/stats/service-instances?projectId=${world.ids.projectP}&minPosition=${last}`,
    );
    expect(response.status).toBe(200);
    return response.body.total as number;
  };
  const record = async (
    type: string,
    data: Record<string, unknown>,
    occurredAt: string,
    api = world.agencyA,
  ): Promise<Posted> => {
    const result = await post(api, envelope(type, data, { caseId, occurredAt }));
    posted.push(result);
    last = result.position;
    return result;
  };

  beforeAll(async () => {
    server = await startTestServer();
    world = await buildWorld(server);
    last = world.lastPosition;
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('moves the service-instance count by exactly the counting rule at every step', async () => {
    const { orgA, projectP, workerA, supervisorA } = world.ids;
    expect(await projectTotal()).toBe(0);

    await record(
      'IntakeRecorded',
      {
        organisationId: orgA,
        workerId: workerA,
        projectId: projectP,
        communityCode: '640104010004',
        targetGroups: ['elderly', 'low_income'],
        client: CLIENT,
        needs: ['daily_living', 'health'],
        riskLevel: 'high',
      },
      daysAgo(20),
    );
    await record('ConsentRecorded', { scope: 'services', signatory: 'client' }, daysAgo(20));
    await record(
      'ConsentRecorded',
      { scope: 'share_with_other_organisations', signatory: 'client' },
      daysAgo(20),
    );
    await record(
      'AssessmentRecorded',
      { workerId: workerA, scores: { daily_living: 8, health: 6 }, riskLevel: 'high' },
      daysAgo(19),
    );
    await record(
      'CasePlanRecorded',
      {
        goals: [{ goalId: 'g1', need: 'daily_living', description: '每周上门协助' }],
        approvedBy: supervisorA,
      },
      daysAgo(18),
    );
    expect(await projectTotal()).toBe(0);

    await record(
      'VisitRecorded',
      {
        visitId: 'v1',
        workerId: workerA,
        mode: 'home',
        durationMinutes: 60,
        services: ['daily_living'],
        notes: `${CLIENT.name} 情绪低落`,
      },
      daysAgo(10),
    );
    expect(await projectTotal()).toBe(1);
    await record(
      'VisitRecorded',
      {
        visitId: 'v2',
        workerId: workerA,
        mode: 'home',
        durationMinutes: 45,
        services: ['daily_living', 'health'],
      },
      daysAgo(3),
    );
    expect(await projectTotal()).toBe(2);

    await record(
      'ReferralMade',
      {
        referralId: 'r1',
        toOrganisation: '兴庆区残疾人职业技能培训中心',
        service: 'health',
        reason: '康复评估',
        urgency: 'routine',
      },
      daysAgo(2.9),
    );
    await record('ReferralAccepted', { referralId: 'r1' }, daysAgo(2.8));
    await record('ReferralCompleted', { referralId: 'r1', outcome: '完成评估' }, daysAgo(2.5));
    expect(await projectTotal()).toBe(2);

    await record(
      'ResourceLinked',
      {
        resourceType: 'material',
        description: '节日慰问：大米',
        provider: '慈善总会',
        quantity: 25,
        unit: 'kg',
        valueYuan: 110,
      },
      daysAgo(2),
    );
    expect(await projectTotal()).toBe(3);

    const activity = await post(
      world.agencyA,
      envelope(
        'GroupActivityRecorded',
        {
          activityId: `act-${caseId.slice(0, 8)}`,
          projectId: projectP,
          workerIds: [workerA],
          communityCode: '640104010004',
          attendees: 12,
          targetGroups: ['elderly'],
          services: ['recreation'],
        },
        { occurredAt: daysAgo(1.5) },
      ),
    );
    last = activity.position;
    expect(await projectTotal()).toBe(15);

    // A mistaken visit is voided: it takes its one back.
    const mistaken = await record(
      'VisitRecorded',
      { visitId: 'v3', workerId: workerA, mode: 'phone', durationMinutes: 10, services: ['counselling'] },
      daysAgo(1),
    );
    expect(await projectTotal()).toBe(16);
    await record('EntryVoided', { targetEventId: mistaken.eventId, reason: '误录' }, daysAgo(0.9));
    expect(await projectTotal()).toBe(15);

    await record(
      'CaseClosed',
      { reason: 'goals_achieved', goalAttainment: 1, summary: '目标达成' },
      daysAgo(0.5),
    );
    expect(await projectTotal()).toBe(15);

    // By region and target group as well: the case's community rolls up to 胜利街 and 兴庆区.
    const byCounty = await world.analyst.get(
      `/v1/stats/service-instances?region=640104&groupBy=county&minPosition=${last}`,
    );
    expect(byCounty.body.total).toBe(15);
    expect(byCounty.body.rows).toEqual([{ key: '640104000000', serviceInstances: 15 }]);
    const otherCounty = await world.analyst.get(
      `/v1/stats/service-instances?region=640105&minPosition=${last}`,
    );
    expect(otherCounty.body.total).toBe(0);
    const lowIncome = await world.analyst.get(
      `/v1/stats/service-instances?targetGroup=low_income&minPosition=${last}`,
    );
    // The case's visit and resource count for low_income; the group activity was for elderly only.
    expect(lowIncome.body.total).toBe(3);
  });

  it('answers the same figures as CSV with a header row', async () => {
    const response = await world.analyst.get(
      `/v1/stats/service-instances?projectId=${world.ids.projectP}&groupBy=service&format=csv&minPosition=${last}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = response.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('key,serviceInstances');
    expect(lines.length).toBeGreaterThan(1);
    const viaAccept = await world.analyst.get(`/v1/stats/service-instances?minPosition=${last}`, {
      accept: 'text/csv',
    });
    expect(viaAccept.text.replace(/^\uFEFF/, '')).toBe('key,serviceInstances\r\ntotal,15\r\n');
  });

  it('replays the history for a reviewer with every event, its metadata and a verified chain', async () => {
    const response = await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=e2e%20audit`);
    expect(response.status).toBe(200);
    const history = response.body;
    expect(history.events).toHaveLength(posted.length);
    expect(history.events.map((event: { eventId: string }) => event.eventId)).toEqual(
      posted.map((p) => p.eventId),
    );
    expect(history.events.map((event: { version: number }) => event.version)).toEqual(
      posted.map((_, i) => i + 1),
    );
    expect(history.events[0].type).toBe('IntakeRecorded');
    expect(history.events[0].prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < history.events.length; i++) {
      expect(history.events[i].prevHash).toBe(history.events[i - 1].hash);
      expect(typeof history.events[i].position).toBe('string');
    }
    expect(history.events[0].metadata.organisationId).toBe(world.ids.orgA);
    expect(history.verification).toMatchObject({ ok: true, events: posted.length });
    expect(history.organisationId).toBe(world.ids.orgA);
  });

  it('shows the state at a past moment and at a past version', async () => {
    // Eleven days ago: intake, consents, assessment and plan had happened, no visit yet.
    const before = await world.reviewer.get(
      `/v1/cases/${caseId}/state?asOf=${encodeURIComponent(daysAgo(11))}&purpose=e2e%20audit`,
    );
    expect(before.status).toBe(200);
    expect(before.body.version).toBe(5);
    expect(before.body.state.status).toBe('open');
    expect(before.body.state.counts.visits).toBe(0);
    expect(before.body.state.riskLevel).toBe('high');

    const afterFirstVisit = await world.reviewer.get(
      `/v1/cases/${caseId}/state?version=6&purpose=e2e%20audit`,
    );
    expect(afterFirstVisit.body.version).toBe(6);
    expect(afterFirstVisit.body.lastEvent.eventId).toBe(posted[5]!.eventId);
    expect(afterFirstVisit.body.state.counts).toMatchObject({ visits: 1, serviceInstances: 1 });

    const now = await world.reviewer.get(`/v1/cases/${caseId}/state?purpose=e2e%20audit`);
    expect(now.body.version).toBe(posted.length);
    expect(now.body.state.status).toBe('closed');
    expect(now.body.state.counts.serviceInstances).toBe(3);
    expect(now.body.state.referrals.r1.state).toBe('completed');

    const ahead = await world.reviewer.get(
      `/v1/cases/${caseId}/state?version=${posted.length + 1}&purpose=e2e%20audit`,
    );
    expect(ahead.status).toBe(400);
    expect(ahead.body.code).toBe('INVALID_QUERY');
  });

  it('lets the owning agency read its case and refuses another agency everywhere', async () => {
    expect((await world.agencyA.get(`/v1/cases/${caseId}/history`)).status).toBe(200);
    // The same case in upper case: UUIDs name one thing in either case.
    const shouted = await world.agencyA.get(`/v1/cases/${caseId.toUpperCase()}/history`);
    expect(shouted.status).toBe(200);
    expect(shouted.body.caseId).toBe(caseId);

    for (const path of [`/v1/cases/${caseId}/history`, `/v1/cases/${caseId}/state`]) {
      const refused = await world.agencyB.get(path);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('NOT_YOUR_CASE');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.text).not.toContain(CLIENT.name);
    }
    for (const path of [
      '/v1/stats/service-instances',
      '/v1/projects/outcomes',
      '/v1/workers/workloads',
      '/v1/regions/640104/summary',
      '/v1/ledger/verify',
    ]) {
      const refused = await world.agencyB.get(path);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN_ROLE');
    }
    const write = await world.agencyB.post(
      '/v1/events',
      envelope(
        'VisitRecorded',
        { visitId: 'vb', workerId: world.ids.workerB, mode: 'home', durationMinutes: 5, services: ['other'] },
        { caseId },
      ),
    );
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('NOT_YOUR_CASE');
    // An analyst is no reviewer either.
    expect((await world.analyst.get(`/v1/cases/${caseId}/history`)).status).toBe(403);
  });

  it('answers 404 CASE_NOT_FOUND for a case that does not exist', async () => {
    const response = await world.reviewer.get(`/v1/cases/${randomUUID()}/history?purpose=e2e%20audit`);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('CASE_NOT_FOUND');
  });

  it('never shows an analyst any personal data, in JSON or CSV', async () => {
    const paths = [
      '/v1/stats/service-instances',
      '/v1/stats/service-instances?groupBy=community',
      '/v1/stats/service-instances?groupBy=organisation',
      '/v1/projects/outcomes',
      '/v1/workers/workloads',
      '/v1/regions/640104/summary',
      '/v1/regions/640104010004/summary',
    ];
    const secrets = [CLIENT.name, CLIENT.idNumber, CLIENT.phone, CLIENT.address, '情绪低落'];
    for (const path of paths) {
      for (const format of ['json', 'csv']) {
        const separator = path.includes('?') ? '&' : '?';
        const response = await world.analyst.get(`${path}${separator}format=${format}&minPosition=${last}`);
        expect(response.status, `${path} ${format}`).toBe(200);
        for (const secret of secrets) expect(response.text, `${path} ${format}`).not.toContain(secret);
      }
    }
  });

  it('appends nothing for a retried post and refuses a stale expectedVersion', async () => {
    const before = await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=e2e%20audit`);
    const version = before.body.events.length as number;
    const reopen = envelope('CaseReopened', { reason: '复发' }, { caseId, expectedVersion: version });
    const first = await world.agencyA.post('/v1/events', reopen);
    expect(first.status).toBe(201);
    const again = await world.agencyA.post('/v1/events', reopen);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);

    // Reading the history records the read (audit-<caseId>), so the ledger is measured after it.
    const afterRetry = await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=e2e%20audit`);
    expect(afterRetry.body.events).toHaveLength(version + 1);
    // Measured once the read's own audit event is readable: on a shared server another session's
    // open transaction may hold the newest appends back from readers for a moment (ADR 0001).
    const audit = await server.running.store.readStream(`audit-${caseId}`);
    const lastAudit = audit.at(-1)!.position;
    const ledger = await settledLedgerSize(server.running.store, lastAudit);

    const stale = await world.agencyA.post(
      '/v1/events',
      envelope(
        'VisitRecorded',
        {
          visitId: 'v9',
          workerId: world.ids.workerA,
          mode: 'home',
          durationMinutes: 30,
          services: ['health'],
        },
        { caseId, expectedVersion: version },
      ),
    );
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('EXPECTED_VERSION_MISMATCH');
    const ledgerAfter = await settledLedgerSize(server.running.store, lastAudit);
    expect(ledgerAfter).toEqual(ledger);
  });

  it('verifies the whole ledger and matches an earlier digest', async () => {
    const first = await world.reviewer.get('/v1/ledger/verify?purpose=quarterly%20audit');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, broken: [], brokenCount: 0 });
    expect(first.body.streams).toBeGreaterThanOrEqual(7);
    const again = await world.reviewer.get(
      `/v1/ledger/verify?upTo=${first.body.lastPosition}&expectedDigest=${first.body.digest}`,
    );
    expect(again.body.digestMatches).toBe(true);
    expect(again.body.events).toBe(first.body.events);
  });

  it('waits for minPosition and answers 503 PROJECTION_LAGGING when the projections cannot reach it', async () => {
    const response = await world.analyst.get('/v1/stats/service-instances?minPosition=999999999999999999');
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('PROJECTION_LAGGING');
  }, 15_000);

  // Last: it alters the ledger under the process, as someone with the database's keys could.
  it("names an event altered in the database, in the case's history and in the ledger's verification", async () => {
    const before = await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=e2e%20audit`);
    const visit = (before.body.events as Array<{ version: number; data: { durationMinutes?: number } }>).find(
      (event) => event.data.durationMinutes === 45,
    );
    if (!visit) throw new Error('the case has no 45-minute visit to alter');
    const { database } = server;
    const table = `"${database.schema}".es_events`;
    await execSql(
      database,
      `alter table ${table} disable trigger es_events_no_update_delete;
      update ${table} set event = replace(event, '"durationMinutes":45', '"durationMinutes":90')
        where stream_id = 'case-${caseId}' and version = ${visit.version};
      alter table ${table} enable trigger es_events_no_update_delete;`,
    );
    const history = await world.reviewer.get(`/v1/cases/${caseId}/history?purpose=e2e%20audit`);
    expect(history.status).toBe(200);
    expect(history.body.events[visit.version - 1].data.durationMinutes).toBe(90);
    expect(history.body.verification).toEqual({
      ok: false,
      streamId: `case-${caseId}`,
      events: before.body.events.length,
      brokenAt: visit.version,
      reason: 'hash_mismatch',
    });
    const ledger = await world.reviewer.get('/v1/ledger/verify?purpose=e2e%20audit');
    expect(ledger.body).toMatchObject({
      ok: false,
      brokenCount: 1,
      broken: [{ streamId: `case-${caseId}`, brokenAt: visit.version, reason: 'hash_mismatch' }],
    });
  });
});
