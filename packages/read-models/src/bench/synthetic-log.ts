import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '@fengcheng/event-store';

const COUNTIES = ['640104', '640105', '640106', '640121', '640122', '640181'];
const SERVICES = ['daily_living', 'counselling', 'tutoring', 'health', 'skills_training', 'family_support'];
const GROUPS = ['elderly', 'child', 'disabled', 'low_income', 'family'];

/** A deterministic pseudo-random sequence, so two runs write the same log. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Appends a synthetic Yinchuan-like log of about `events` events: organisations, workers,
 * projects, then cases of ~20 events each (visits, referrals, resources, a void now and then,
 * closure) and group activities. Returns how many events it appended.
 */
export async function appendSyntheticLog(store: EventStore, events: number, seed = 1): Promise<number> {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const community = () =>
    `${pick(COUNTIES)}${String(1 + Math.floor(rnd() * 9)).padStart(3, '0')}${String(1 + Math.floor(rnd() * 20)).padStart(3, '0')}`;
  const at = (day: number, hour: number) =>
    new Date(Date.UTC(2025, 0, 1) + day * 86_400_000 + hour * 3_600_000).toISOString();
  const event = (
    type: string,
    occurredAt: string,
    data: Record<string, unknown>,
    organisationId: string,
  ): NewEvent => ({
    eventId: randomUUID(),
    type,
    occurredAt,
    data,
    metadata: { organisationId, keyId: 'bench' },
  });
  let appended = 0;
  const organisations = Array.from({ length: 26 }, (_, i) => `org-${i}`);
  for (const [i, id] of organisations.entries()) {
    await store.append(`organisation-${id}`, [
      event(
        'OrganisationRegistered',
        at(0, 0),
        { organisationId: id, name: `机构${i}`, kind: 'hub', regionCode: `${COUNTIES[i % 6]}000000` },
        id,
      ),
    ]);
    appended += 1;
  }
  const workers = Array.from({ length: 300 }, (_, i) => ({ id: `w-${i}`, org: organisations[i % 26]! }));
  for (const w of workers) {
    await store.append(`worker-${w.id}`, [
      event(
        'WorkerRegistered',
        at(0, 1),
        {
          workerId: w.id,
          organisationId: w.org,
          certification: pick(['none', 'junior', 'intermediate', 'senior']),
          role: 'frontline',
        },
        w.org,
      ),
    ]);
    appended += 1;
  }
  const projects = Array.from({ length: 40 }, (_, i) => ({ id: `p-${i}`, org: organisations[i % 26]! }));
  for (const p of projects) {
    await store.append(`project-${p.id}`, [
      event(
        'ProjectRegistered',
        at(0, 2),
        {
          projectId: p.id,
          organisationId: p.org,
          name: `项目${p.id}`,
          fundingSource: 'venture_philanthropy',
        },
        p.org,
      ),
    ]);
    appended += 1;
  }
  let activity = 0;
  while (appended < events) {
    if (rnd() < 0.1) {
      const p = pick(projects);
      activity += 1;
      await store.append(`activity-a${activity}`, [
        event(
          'GroupActivityRecorded',
          at(Math.floor(rnd() * 365), 10),
          {
            activityId: `a${activity}`,
            projectId: p.id,
            workerIds: [pick(workers).id],
            communityCode: community(),
            attendees: 1 + Math.floor(rnd() * 40),
            targetGroups: [pick(GROUPS)],
            services: [pick(SERVICES)],
          },
          p.org,
        ),
      ]);
      appended += 1;
      continue;
    }
    const w = pick(workers);
    const p = pick(projects);
    const day = Math.floor(rnd() * 300);
    const batch: NewEvent[] = [
      event(
        'IntakeRecorded',
        at(day, 1),
        {
          organisationId: w.org,
          workerId: w.id,
          projectId: p.id,
          communityCode: community(),
          targetGroups: [pick(GROUPS)],
          client: { clientRef: `c${appended}` },
          needs: ['daily_living'],
          riskLevel: pick(['low', 'medium', 'high']),
        },
        w.org,
      ),
      event(
        'AssessmentRecorded',
        at(day, 2),
        { workerId: w.id, scores: { daily_living: Math.floor(rnd() * 10) }, riskLevel: 'medium' },
        w.org,
      ),
    ];
    const visits = 10 + Math.floor(rnd() * 10);
    for (let v = 0; v < visits; v++) {
      batch.push(
        event(
          'VisitRecorded',
          at(day + v * 3, 3),
          { visitId: `v${v}`, workerId: w.id, mode: 'home', durationMinutes: 30, services: [pick(SERVICES)] },
          w.org,
        ),
      );
    }
    if (rnd() < 0.1)
      batch.push(
        event(
          'EntryVoided',
          at(day + visits * 3, 4),
          { targetEventId: batch.at(-1)!.eventId, reason: 'duplicate' },
          w.org,
        ),
      );
    if (rnd() < 0.3)
      batch.push(
        event(
          'ResourceLinked',
          at(day + 5, 5),
          { resourceType: 'material', description: '米和油', provider: '慈善', valueYuan: 100 },
          w.org,
        ),
      );
    if (rnd() < 0.3) {
      batch.push(
        event(
          'ReferralMade',
          at(day + 6, 5),
          { referralId: 'r1', toOrganisation: 'x', service: 'health', reason: 'r', urgency: 'routine' },
          w.org,
        ),
      );
      batch.push(event('ReferralAccepted', at(day + 7, 5), { referralId: 'r1' }, w.org));
    }
    batch.push(
      event(
        'AssessmentRecorded',
        at(day + visits * 3, 6),
        { workerId: w.id, scores: { daily_living: Math.floor(rnd() * 10) }, riskLevel: 'low' },
        w.org,
      ),
    );
    if (rnd() < 0.6)
      batch.push(
        event(
          'CaseClosed',
          at(day + visits * 3 + 1, 7),
          { reason: 'goals_achieved', goalAttainment: Math.floor(rnd() * 5) - 2 },
          w.org,
        ),
      );
    await store.append(`case-${randomUUID()}`, batch);
    appended += batch.length;
  }
  return appended;
}
