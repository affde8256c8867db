import { CLOSURE_REASONS } from '@fengcheng/domain';
import type { RecordedEvent } from '@fengcheng/event-store';
import { openTestDatabase, reachableBackends } from '@fengcheng/platform';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadModelSchema, dropReadModelSchema } from '../migrations';
import { getProjectOutcomes } from '../queries/project-outcomes.query';
import { EventLog } from '../test-support/event-log';
import { applyEvents, bulkApplier } from '.';

/** A deterministic pseudo-random sequence, so every run builds the same log. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Cases that move every outcome figure: fractional scores over one to three domains, voided
 * assessments, every closure reason and goal score, reopened and closed again, resources of
 * fractional value, referrals, a case without a project, a project with group activities only.
 */
function outcomeLog(): EventLog {
  const rnd = random(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const log = new EventLog();
  const at = (day: number, minute: number) =>
    new Date(Date.UTC(2025, 0, 1) + day * 86_400_000 + minute * 60_000).toISOString();
  const projects = ['p-1', 'p-2', 'p-3', 'p-groups', 'p-idle'];
  log.add('organisation-o1', 'OrganisationRegistered', at(0, 0), {
    organisationId: 'o1',
    name: '机构',
    kind: 'hub',
    regionCode: '640104000000',
  });
  log.add('worker-w1', 'WorkerRegistered', at(0, 1), {
    workerId: 'w1',
    organisationId: 'o1',
    certification: 'junior',
    role: 'frontline',
  });
  for (const id of projects)
    log.add(`project-${id}`, 'ProjectRegistered', at(0, 2), {
      projectId: id,
      organisationId: 'o1',
      name: id,
      fundingSource: 'government_purchase',
    });
  const score = () => Math.round(rnd() * 100) / 10;
  // Visits voided once every case is written, so in another batch than their own.
  const voidLater: Array<[stream: string, eventId: string]> = [];
  for (let i = 0; i < 60; i++) {
    const stream = `case-c${i}`;
    const day = Math.floor(rnd() * 300);
    let minute = Math.floor(rnd() * 1440);
    const next = () => {
      minute += 1 + Math.floor(rnd() * 4000);
      return at(day, minute);
    };
    const project = i % 13 === 0 ? undefined : pick(projects.slice(0, 3));
    log.add(stream, 'IntakeRecorded', next(), {
      organisationId: 'o1',
      workerId: 'w1',
      ...(project ? { projectId: project } : {}),
      communityCode: '640104001001',
      targetGroups: ['elderly'],
      client: { clientRef: `client-${i}` },
      needs: ['daily_living'],
      riskLevel: 'medium',
    });
    const assessments = Math.floor(rnd() * 4);
    for (let a = 0; a < assessments; a++) {
      const domains = ['daily_living', 'health', 'loneliness'].slice(0, 1 + Math.floor(rnd() * 3));
      const assessment = log.add(stream, 'AssessmentRecorded', next(), {
        workerId: 'w1',
        scores: Object.fromEntries(domains.map((d) => [d, score()])),
        riskLevel: 'low',
      });
      if (rnd() < 0.15)
        log.add(stream, 'EntryVoided', next(), { targetEventId: assessment.eventId, reason: 'wrong case' });
    }
    const visits = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, v) =>
      log.add(stream, 'VisitRecorded', next(), {
        visitId: `v${v}`,
        workerId: 'w1',
        mode: 'home',
        durationMinutes: 30,
        services: ['health'],
      }),
    );
    if (rnd() < 0.3) voidLater.push([stream, visits[0]!.eventId]);
    if (rnd() < 0.4)
      log.add(stream, 'ResourceLinked', next(), {
        resourceType: 'material',
        description: '米和油',
        provider: '慈善',
        valueYuan: Math.round(rnd() * 100_000) / 100,
      });
    if (rnd() < 0.3) {
      log.add(stream, 'ReferralMade', next(), {
        referralId: 'r1',
        toOrganisation: 'x',
        service: 'health',
        reason: 'r',
        urgency: 'routine',
      });
      log.add(stream, 'ReferralAccepted', next(), { referralId: 'r1' });
    }
    const closings = rnd() < 0.2 ? 0 : rnd() < 0.25 ? 2 : 1;
    for (let c = 0; c < closings; c++) {
      if (c > 0) log.add(stream, 'CaseReopened', next(), { reason: 'relapse' });
      log.add(stream, 'CaseClosed', next(), {
        reason: pick(CLOSURE_REASONS),
        goalAttainment: Math.floor(rnd() * 5) - 2,
      });
    }
    if (closings === 1 && rnd() < 0.2) log.add(stream, 'CaseReopened', next(), { reason: 'relapse' });
  }
  for (const [stream, eventId] of voidLater)
    log.add(stream, 'EntryVoided', at(320, 0), { targetEventId: eventId, reason: 'duplicate' });
  for (let a = 0; a < 5; a++)
    log.add(`activity-a${a}`, 'GroupActivityRecorded', at(10 + a, 600), {
      activityId: `a${a}`,
      projectId: 'p-groups',
      workerIds: ['w1'],
      communityCode: '640104001002',
      attendees: 3 + a,
      targetGroups: ['elderly'],
      services: ['health'],
    });
  return log;
}

describe.each(reachableBackends())(
  'project outcomes kept per project (embedded: $embedded)',
  ({ embedded }) => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    const log = outcomeLog();
    const live = 'rm_outcomes_live';
    const bulk = 'rm_outcomes_bulk';
    // A rebuild whose kept state outgrows its bound after the first batch and goes on the live way.
    const bounded = 'rm_outcomes_bounded';
    const rows = async (schema: string, table = 'project_outcome') =>
      (
        await sql
          .raw<Record<string, unknown>>(`select * from ${schema}.${table} t order by t::text`)
          .execute(database.db)
      ).rows;

    beforeAll(async () => {
      database = await openTestDatabase({ forceEmbedded: embedded });
      // The live projector's way, in small batches, and a rebuild's way, in larger ones.
      await createReadModelSchema(database.db, live);
      for (let i = 0; i < log.events.length; i += 7) {
        const batch: RecordedEvent[] = log.events.slice(i, i + 7);
        await database.db.transaction().execute((trx) => applyEvents(trx, live, batch));
      }
      await createReadModelSchema(database.db, bulk, { deferIndexes: true });
      const applier = bulkApplier(database.db, bulk);
      for (let i = 0; i < log.events.length; i += 50) await applier.apply(log.events.slice(i, i + 50));
      await applier.finish();
      await createReadModelSchema(database.db, bounded, { deferIndexes: true });
      let outgrownAt: bigint | undefined;
      const small = bulkApplier(database.db, bounded, {
        maxCachedRows: 1,
        onOutgrown: (_rows, position) => {
          outgrownAt = position;
        },
      });
      for (let i = 0; i < log.events.length; i += 50) await small.apply(log.events.slice(i, i + 50));
      await small.finish();
      expect(small.indexed).toBe(true);
      expect(outgrownAt).toBe(log.events[49]!.position);
    });
    afterAll(async () => {
      await dropReadModelSchema(database.db, live);
      await dropReadModelSchema(database.db, bulk);
      await dropReadModelSchema(database.db, bounded);
      await database.drop();
    });

    it('keeps the same rows whether batch by batch live or in a rebuild', async () => {
      const kept = await rows(live);
      expect(kept.map((row) => row.project_id)).toEqual(['p-1', 'p-2', 'p-3', 'p-groups', 'p-idle']);
      const { rows: tables } = await sql<{ name: string }>`
        select table_name as name from information_schema.tables
        where table_schema = ${live} and table_name <> 'projection_checkpoint'
        order by table_name`.execute(database.db);
      expect(tables.length).toBeGreaterThan(10);
      for (const { name } of tables) {
        expect({ name, rows: await rows(bulk, name) }).toEqual({ name, rows: await rows(live, name) });
        expect({ name, rows: await rows(bounded, name) }).toEqual({ name, rows: await rows(live, name) });
      }
      // The checkpoint counts every event once, whichever way each batch went.
      for (const schema of [live, bulk, bounded]) {
        const { rows: checkpoint } = await sql<{ events: string }>`
          select events::text from ${sql.raw(schema)}.projection_checkpoint`.execute(database.db);
        expect(Number(checkpoint[0]!.events), schema).toBe(log.events.length);
      }
      const { rows: voided } = await sql<{ n: number }>`
        select count(*)::int as n from ${sql.raw(bulk)}.counted_entry where voided`.execute(database.db);
      expect(voided[0]!.n).toBeGreaterThan(5);
    });

    it('answers unnarrowed outcomes as the same figures worked out over the cases', async () => {
      for (const schema of [live, bulk]) {
        const db = database.db.withSchema(schema);
        const kept = await getProjectOutcomes(db, {});
        // A period that starts before any case takes in every case's whole life, so it is the
        // same question, answered from case summaries and the daily counts instead.
        const overCases = await getProjectOutcomes(db, { from: '1900-01-01' });
        expect(kept).toEqual(overCases);
        expect(await getProjectOutcomes(db, { projectId: 'p-2' })).toEqual(
          kept.filter((p) => p.projectId === 'p-2'),
        );
        expect(await getProjectOutcomes(db, { organisationId: 'o1' })).toEqual(kept);
        expect(await getProjectOutcomes(db, { organisationId: 'o1', from: '1900-01-01' })).toEqual(kept);
        expect(await getProjectOutcomes(db, { organisationId: 'nobody' })).toEqual([]);
      }
      // Every figure was tested on something that moved it.
      const [p1, p2, p3, groups, idle] = await getProjectOutcomes(database.db.withSchema(live), {});
      for (const p of [p1!, p2!, p3!]) {
        expect(p.casesActive).toBeGreaterThan(0);
        expect(p.casesClosed).toBeGreaterThan(0);
        expect(p.assessmentChange.cases).toBeGreaterThan(0);
        expect(p.medianCaseDurationDays).not.toBeNull();
        expect(p.resources.count).toBeGreaterThan(0);
        expect(p.referrals.made).toBeGreaterThan(0);
      }
      expect(groups).toMatchObject({ casesOpened: 0, serviceInstances: 3 + 4 + 5 + 6 + 7 });
      expect(idle).toMatchObject({ casesOpened: 0, serviceInstances: 0, medianCaseDurationDays: null });
      const types = new Set(log.events.map((e) => e.type));
      expect(types).toContain('CaseReopened');
      expect(types).toContain('EntryVoided');
    });
  },
);
