import type { EventType } from '@fengcheng/domain';
import type { RecordedEvent } from '@fengcheng/event-store';
import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReadModels, readModelsFor } from '../projector/generation';
import { getCaseSummary } from '../queries/case-summary.query';
import { getProjectOutcomes } from '../queries/project-outcomes.query';
import { getRegionSummary } from '../queries/region-summary.query';
import { getServiceInstances } from '../queries/service-instances.query';
import { getWorkerWorkloads } from '../queries/worker-workloads.query';
import {
  ACTIVITY_COMMUNITY,
  CASE,
  CASE_2,
  COMMUNITY,
  caseLife,
  ORG,
  PROJECT,
  voidedVisit,
} from '../test-support/case-life';
import { applyEvents } from '.';

describe.each(reachableBackends())('projections (embedded: $embedded)', ({ embedded }) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let schema: string;
  let db: Kysely<any>;
  const { log, midLife, visit1 } = caseLife();
  const apply = (events: RecordedEvent[]) =>
    database.db.transaction().execute((trx) => applyEvents(trx, schema, events));

  beforeAll(async () => {
    database = await openTestDatabase({ forceEmbedded: embedded });
    schema = (await ensureReadModels(database)).schema;
    db = await readModelsFor(database);
  });
  afterAll(async () => {
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
    await database.drop();
  });

  it('projects the first half of a case life: workload mid-case', async () => {
    expect(await apply(log.events.slice(0, midLife))).toBe(BigInt(midLife));
    const [w1, w2] = await getWorkerWorkloads(db, { now: new Date('2026-03-08T12:00:00+08:00') });
    expect(w1).toEqual({
      workerId: 'w1',
      organisationId: ORG,
      role: 'frontline',
      certification: 'junior',
      activeCases: 1,
      caseloadBand: '0-9',
      visitsLast7Days: 1,
      visitsLast30Days: 2,
      overdueVisits: { high: 0, medium: 0, low: 0, total: 0 },
      openReferrals: 1,
      supervisionMinutes: 45,
      supervisionMinutesGiven: 0,
    });
    expect(w2).toMatchObject({
      workerId: 'w2',
      certification: 'senior',
      activeCases: 0,
      supervisionMinutesGiven: 45,
    });
    // Last visit 00:30 CST on 2 March: a high-risk case is overdue after 7 days.
    const later = await getWorkerWorkloads(db, { now: new Date('2026-03-09T12:00:00+08:00') });
    expect(later[0]?.overdueVisits).toEqual({ high: 1, medium: 0, low: 0, total: 1 });
    expect(later[0]?.visitsLast7Days).toBe(0);
    // Narrowed by organisation or by the cases' region, each worker's figures stay the same.
    const now = new Date('2026-03-08T12:00:00+08:00');
    expect(await getWorkerWorkloads(db, { organisationId: ORG, now })).toEqual([w1, w2]);
    expect(await getWorkerWorkloads(db, { organisationId: 'nobody', now })).toEqual([]);
    expect(await getWorkerWorkloads(db, { region: '640104', now })).toEqual([w1]);
    expect(await getWorkerWorkloads(db, { region: '640104', organisationId: ORG, now })).toEqual([w1]);
    expect(await getWorkerWorkloads(db, { region: '640105', now })).toEqual([]);
    expect(await getWorkerWorkloads(db, { targetGroup: 'elderly', now })).toEqual([w1]);
    expect(await getWorkerWorkloads(db, { projectId: PROJECT, now })).toEqual([w1]);
    expect(await getWorkerWorkloads(db, { targetGroup: 'child', now })).toEqual([]);
  });

  it('counts service instances by the counting rule, on CST days, at every dimension', async () => {
    await apply(log.since(midLife));
    expect(await getServiceInstances(db, {})).toEqual({ total: 15, rows: [] });
    expect(await getServiceInstances(db, { groupBy: 'day' })).toEqual({
      total: 15,
      rows: [
        { key: '2026-03-01', serviceInstances: 1 },
        { key: '2026-03-02', serviceInstances: 1 },
        { key: '2026-03-03', serviceInstances: 12 },
        { key: '2026-03-04', serviceInstances: 1 },
      ],
    });
    expect((await getServiceInstances(db, { groupBy: 'month' })).rows).toEqual([
      { key: '2026-03', serviceInstances: 15 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'county' })).rows).toEqual([
      { key: '640104000000', serviceInstances: 15 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'community' })).rows).toEqual([
      { key: COMMUNITY, serviceInstances: 3 },
      { key: ACTIVITY_COMMUNITY, serviceInstances: 12 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'targetGroup' })).rows).toEqual([
      { key: 'elderly', serviceInstances: 15 },
      { key: 'family', serviceInstances: 12 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'service' })).rows).toEqual([
      { key: 'counselling', serviceInstances: 1 },
      { key: 'daily_living', serviceInstances: 2 },
      { key: 'none', serviceInstances: 1 },
      { key: 'recreation', serviceInstances: 12 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'project' })).rows).toEqual([
      { key: PROJECT, serviceInstances: 15 },
    ]);
    expect((await getServiceInstances(db, { groupBy: 'organisation' })).rows).toEqual([
      { key: ORG, serviceInstances: 15 },
    ]);
    expect((await getServiceInstances(db, { from: '2026-03-02', to: '2026-03-03' })).total).toBe(13);
    expect((await getServiceInstances(db, { to: '2026-03-01' })).total).toBe(1);
    expect((await getServiceInstances(db, { region: '640104001' })).total).toBe(15);
    expect((await getServiceInstances(db, { region: COMMUNITY })).total).toBe(3);
    expect((await getServiceInstances(db, { region: '640105' })).total).toBe(0);
    expect((await getServiceInstances(db, { targetGroup: 'family' })).total).toBe(12);
    expect((await getServiceInstances(db, { service: 'daily_living' })).total).toBe(2);
  });

  it('summarises the case without personal data, with its event count and chain head', async () => {
    const summary = await getCaseSummary(db, CASE);
    const events = log.events.filter((e) => e.streamId === `case-${CASE}`);
    expect(summary).toEqual({
      caseId: CASE,
      organisationId: ORG,
      workerId: 'w1',
      projectId: PROJECT,
      communityCode: COMMUNITY,
      targetGroups: ['elderly'],
      riskLevel: 'low',
      status: 'closed',
      openedAt: '2026-03-01T01:00:00.000Z',
      closedAt: '2026-03-11T02:00:00.000Z',
      closureReason: 'goals_achieved',
      goalAttainment: 2,
      lastVisitAt: '2026-03-01T16:30:00.000Z',
      counts: {
        visits: 2,
        serviceInstances: 3,
        referralsMade: 1,
        referralsAccepted: 1,
        referralsDeclined: 0,
        referralsCompleted: 1,
        referralsCancelled: 0,
        referralsOpen: 0,
        resourcesLinked: 1,
        resourceValueYuan: 200,
        assessments: 2,
        transfers: 0,
      },
      firstAssessmentScore: 7,
      latestAssessmentScore: 3,
      eventCount: events.length,
      lastVersion: events.length,
      chainHead: events.at(-1)?.hash,
      lastPosition: String(events.at(-1)?.position),
    });
    const text = JSON.stringify(
      (await sql`select * from ${sql.raw(schema)}.case_summary`.execute(database.db)).rows,
      (_k, v) => (typeof v === 'bigint' ? String(v) : v),
    );
    for (const secret of ['张大爷', '11010519491231002X', '13900000000', '某街1号', '情绪低落']) {
      expect(text).not.toContain(secret);
    }
    expect(await getCaseSummary(db, CASE_2)).toBeNull();
  });

  it('reports the project outcome of the whole life', async () => {
    expect(await getProjectOutcomes(db, {})).toEqual([
      {
        projectId: PROJECT,
        name: '牵手夕阳红',
        organisationId: ORG,
        brand: '牵手夕阳红',
        fundingSource: 'venture_philanthropy',
        casesOpened: 1,
        casesActive: 0,
        casesClosed: 1,
        closedByReason: {
          goals_achieved: 1,
          client_declined: 0,
          moved: 0,
          transferred: 0,
          deceased: 0,
          ineligible: 0,
          other: 0,
        },
        goalAttainment: { mean: 2, distribution: { '-2': 0, '-1': 0, '0': 0, '1': 0, '2': 1 } },
        assessmentChange: { cases: 1, meanDelta: -4 },
        medianCaseDurationDays: 10,
        serviceInstances: 15,
        referrals: { made: 1, accepted: 1, completed: 1 },
        resources: { count: 1, valueYuan: 200 },
      },
    ]);
    const [march10] = await getProjectOutcomes(db, { to: '2026-03-10' });
    expect(march10).toMatchObject({ casesOpened: 1, casesActive: 0, casesClosed: 0, serviceInstances: 15 });
    expect(march10?.referrals).toEqual({ made: 1, accepted: 1, completed: 1 });
    const [april] = await getProjectOutcomes(db, { from: '2026-04-01' });
    expect(april).toMatchObject({ casesOpened: 0, casesClosed: 0, serviceInstances: 0 });
    expect(await getProjectOutcomes(db, { organisationId: 'someone-else' })).toEqual([]);
    // Narrowed to the project or its organisation, the figures are those of the whole list.
    const all = await getProjectOutcomes(db, {});
    expect(await getProjectOutcomes(db, { projectId: PROJECT })).toEqual(all);
    expect(await getProjectOutcomes(db, { organisationId: ORG })).toEqual(all);
    expect(await getProjectOutcomes(db, { projectId: 'p-none' })).toEqual([]);
  });

  it('sums regions at the four levels, the same with and without filters', async () => {
    const county = { casesOpen: 0, casesClosed: 1, serviceInstances: 15, workers: 2, organisations: 1 };
    expect(await getRegionSummary(db, '640104000000', {})).toEqual({
      code: '640104000000',
      level: 'county',
      ...county,
    });
    expect(await getRegionSummary(db, '640100000000', {})).toEqual({
      code: '640100000000',
      level: 'city',
      ...county,
    });
    expect(await getRegionSummary(db, '640104000000', { from: '2000-01-01' })).toEqual({
      code: '640104000000',
      level: 'county',
      ...county,
    });
    expect(await getRegionSummary(db, '640104001000', {})).toEqual({
      code: '640104001000',
      level: 'township',
      casesOpen: 0,
      casesClosed: 1,
      serviceInstances: 15,
      workers: 0,
      organisations: 0,
    });
    expect(await getRegionSummary(db, COMMUNITY, { from: '2026-03-02' })).toMatchObject({
      casesClosed: 1,
      serviceInstances: 2,
    });
    expect(await getRegionSummary(db, '640105000000', {})).toBeNull();
  });

  it('takes a voided visit back from every figure it counted in', async () => {
    const mark = log.events.length;
    voidedVisit(log);
    await apply(log.since(mark));
    expect((await getServiceInstances(db, {})).total).toBe(15);
    expect((await getServiceInstances(db, { targetGroup: 'child' })).total).toBe(0);
    expect(await getCaseSummary(db, CASE_2)).toMatchObject({
      status: 'open',
      lastVisitAt: null,
      counts: { visits: 0, serviceInstances: 0 },
      eventCount: 3,
    });
    expect((await getRegionSummary(db, COMMUNITY, {}))?.serviceInstances).toBe(3);
    const [w1] = await getWorkerWorkloads(db, { now: new Date('2026-03-03T12:00:00+08:00') });
    // Only the two visits of the first case on 1 and 2 March remain.
    expect(w1).toMatchObject({ activeCases: 1, visitsLast7Days: 2 });
    // Medium risk, no visit standing: overdue 30 days after intake.
    const [w1Later] = await getWorkerWorkloads(db, { now: new Date('2026-04-02T12:00:00+08:00') });
    expect(w1Later?.overdueVisits).toEqual({ high: 0, medium: 1, low: 0, total: 1 });
  });

  it('voids an entry counted in an earlier batch and one counted in the same batch alike', async () => {
    const lastVisitAt = (await getCaseSummary(db, CASE))?.lastVisitAt;
    expect(lastVisitAt).not.toBeNull();
    const mark = log.events.length;
    log.add(`case-${CASE}`, 'EntryVoided', '2026-03-12T09:00:00+08:00', {
      targetEventId: visit1.eventId,
      reason: 'wrong client',
    });
    await apply(log.since(mark));
    expect((await getServiceInstances(db, { groupBy: 'day' })).rows[0]).toEqual({
      key: '2026-03-02',
      serviceInstances: 1,
    });
    // The case's latest visit is looked up again among the visits still standing in the table.
    expect(await getCaseSummary(db, CASE)).toMatchObject({
      counts: { visits: 1, serviceInstances: 2 },
      lastVisitAt,
    });
  });

  it('counts a batch delivered twice once: the checkpoint guards', async () => {
    const before = await getServiceInstances(db, {});
    const again = await apply(log.events);
    expect(again).toBe(log.events.at(-1)?.position);
    expect(await getServiceInstances(db, {})).toEqual(before);
    expect((await getCaseSummary(db, CASE))?.eventCount).toBe(
      log.events.filter((e) => e.streamId === `case-${CASE}`).length,
    );
  });

  it('loses nothing when a batch dies before its commit, and counts it once when it comes again', async () => {
    const mark = log.events.length;
    log.add('activity-a2', 'GroupActivityRecorded', '2026-03-20T10:00:00+08:00', {
      activityId: 'a2',
      projectId: PROJECT,
      workerIds: ['w1'],
      communityCode: COMMUNITY,
      attendees: 5,
      targetGroups: ['elderly'],
      services: ['health'],
    });
    const batch = log.since(mark);
    await expect(
      database.db.transaction().execute(async (trx) => {
        await applyEvents(trx, schema, batch);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect((await getServiceInstances(db, {})).total).toBe(14);
    await apply(batch);
    await apply(batch);
    expect((await getServiceInstances(db, {})).total).toBe(19);
  });

  it('drops a voided assessment as the case state does, and leaves a voided referral step standing', async () => {
    const mark = log.events.length;
    const c2 = `case-${CASE_2}`;
    const assessment = log.add(c2, 'AssessmentRecorded', '2026-03-03T09:00:00+08:00', {
      workerId: 'w1',
      scores: { tutoring: 9 },
      riskLevel: 'high',
    });
    await apply(log.since(mark));
    expect(await getCaseSummary(db, CASE_2)).toMatchObject({
      riskLevel: 'high',
      firstAssessmentScore: 9,
      latestAssessmentScore: 9,
      counts: { assessments: 1 },
    });
    const next = log.events.length;
    log.add(c2, 'EntryVoided', '2026-03-03T10:00:00+08:00', {
      targetEventId: assessment.eventId,
      reason: 'wrong case',
    });
    const referral = log.add(c2, 'ReferralMade', '2026-03-03T11:00:00+08:00', {
      referralId: 'r9',
      toOrganisation: 'chunxi',
      service: 'tutoring',
      reason: 'homework club',
      urgency: 'routine',
    });
    log.add(c2, 'EntryVoided', '2026-03-03T12:00:00+08:00', {
      targetEventId: referral.eventId,
      reason: 'typo',
    });
    await apply(log.since(next));
    expect(await getCaseSummary(db, CASE_2)).toMatchObject({
      riskLevel: 'medium',
      firstAssessmentScore: null,
      latestAssessmentScore: null,
      counts: { assessments: 0, referralsMade: 1, referralsOpen: 1 },
    });
  });

  it('counts an event of a type it does not know into the case chain, and nothing else', async () => {
    const before = await getCaseSummary(db, CASE_2);
    const mark = log.events.length;
    const future = log.add(
      `case-${CASE_2}`,
      'FutureThingRecorded' as EventType,
      '2026-03-04T09:00:00+08:00',
      {},
    );
    await apply(log.since(mark));
    expect(await getCaseSummary(db, CASE_2)).toEqual({
      ...before,
      eventCount: before!.eventCount + 1,
      lastVersion: future.version,
      chainHead: future.hash,
      lastPosition: String(future.position),
    });
  });
});
