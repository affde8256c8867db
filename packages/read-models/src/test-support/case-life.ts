import { EventLog } from './event-log';

export const ORG = 'cuncaoxin';
export const ORG_REGION = '640104000000';
export const COMMUNITY = '640104001001';
export const ACTIVITY_COMMUNITY = '640104001002';
export const PROJECT = 'p-qianshou';
export const CASE = '0f0e0d0c-0b0a-4099-8877-665544332211';
export const CASE_2 = '1f0e0d0c-0b0a-4099-8877-665544332211';

const meta = { organisationId: ORG, keyId: 'k1' };

/**
 * One empty-nest elderly client's case, stage by stage: registry, intake, an assessment,
 * visits either side of a CST midnight, a group activity, a resource, a referral, supervision.
 */
export function caseLife() {
  const log = new EventLog();
  log.add(
    `organisation-${ORG}`,
    'OrganisationRegistered',
    '2026-02-01T09:00:00+08:00',
    {
      organisationId: ORG,
      name: '寸草心',
      kind: 'hub',
      regionCode: ORG_REGION,
    },
    meta,
  );
  log.add(
    'worker-w1',
    'WorkerRegistered',
    '2026-02-01T09:00:00+08:00',
    {
      workerId: 'w1',
      organisationId: ORG,
      certification: 'junior',
      role: 'frontline',
    },
    meta,
  );
  log.add(
    'worker-w2',
    'WorkerRegistered',
    '2026-02-01T09:00:00+08:00',
    {
      workerId: 'w2',
      organisationId: ORG,
      certification: 'intermediate',
      role: 'supervisor',
    },
    meta,
  );
  log.add(
    'worker-w2',
    'WorkerCertified',
    '2026-02-02T09:00:00+08:00',
    { workerId: 'w2', certification: 'senior' },
    meta,
  );
  log.add(
    `project-${PROJECT}`,
    'ProjectRegistered',
    '2026-02-01T09:00:00+08:00',
    {
      projectId: PROJECT,
      organisationId: ORG,
      name: '牵手夕阳红',
      brand: '牵手夕阳红',
      fundingSource: 'venture_philanthropy',
    },
    meta,
  );
  const c = `case-${CASE}`;
  log.add(
    c,
    'IntakeRecorded',
    '2026-03-01T09:00:00+08:00',
    {
      organisationId: ORG,
      workerId: 'w1',
      projectId: PROJECT,
      communityCode: COMMUNITY,
      targetGroups: ['elderly'],
      client: {
        clientRef: 'client-1',
        name: '张大爷',
        idNumber: '11010519491231002X',
        phone: '13900000000',
        address: '某街1号',
      },
      needs: ['daily_living', 'loneliness'],
      riskLevel: 'high',
    },
    meta,
  );
  log.add(
    c,
    'ConsentRecorded',
    '2026-03-01T09:05:00+08:00',
    { scope: 'share_with_other_organisations', signatory: 'client' },
    meta,
  );
  log.add(
    c,
    'AssessmentRecorded',
    '2026-03-01T10:00:00+08:00',
    {
      workerId: 'w1',
      scores: { daily_living: 8, loneliness: 6 },
      riskLevel: 'high',
    },
    meta,
  );
  // 23:30 CST on 1 March is still 1 March; 16:30 UTC on 1 March is 00:30 CST on 2 March.
  const visit1 = log.add(
    c,
    'VisitRecorded',
    '2026-03-01T23:30:00+08:00',
    {
      visitId: 'v1',
      workerId: 'w1',
      mode: 'home',
      durationMinutes: 60,
      services: ['daily_living'],
      notes: '老人独居，情绪低落',
    },
    meta,
  );
  log.add(
    c,
    'VisitRecorded',
    '2026-03-01T16:30:00Z',
    {
      visitId: 'v2',
      workerId: 'w1',
      mode: 'phone',
      durationMinutes: 15,
      services: ['counselling', 'daily_living'],
    },
    meta,
  );
  log.add(
    'activity-a1',
    'GroupActivityRecorded',
    '2026-03-03T10:00:00+08:00',
    {
      activityId: 'a1',
      projectId: PROJECT,
      workerIds: ['w1', 'w2'],
      communityCode: ACTIVITY_COMMUNITY,
      attendees: 12,
      targetGroups: ['family', 'elderly'],
      services: ['recreation'],
    },
    meta,
  );
  log.add(
    c,
    'ResourceLinked',
    '2026-03-04T10:00:00+08:00',
    {
      resourceType: 'material',
      description: '米和油',
      provider: '慈善总会',
      quantity: 1,
      unit: 'set',
      valueYuan: 200,
    },
    meta,
  );
  log.add(
    c,
    'ReferralMade',
    '2026-03-05T10:00:00+08:00',
    {
      referralId: 'r1',
      toOrganisation: 'chunxi',
      service: 'health',
      reason: 'check-up',
      urgency: 'routine',
    },
    meta,
  );
  log.add(c, 'ReferralAccepted', '2026-03-06T10:00:00+08:00', { referralId: 'r1' }, meta);
  log.add(
    'worker-w1',
    'SupervisionRecorded',
    '2026-03-06T15:00:00+08:00',
    {
      supervisorId: 'w2',
      superviseeId: 'w1',
      minutes: 45,
    },
    meta,
  );
  const midLife = log.events.length;

  log.add(c, 'ReferralCompleted', '2026-03-10T10:00:00+08:00', { referralId: 'r1', outcome: 'done' }, meta);
  log.add(
    c,
    'AssessmentRecorded',
    '2026-03-11T09:00:00+08:00',
    {
      workerId: 'w1',
      scores: { daily_living: 4, loneliness: 2 },
      riskLevel: 'low',
    },
    meta,
  );
  log.add(
    c,
    'CaseClosed',
    '2026-03-11T10:00:00+08:00',
    { reason: 'goals_achieved', goalAttainment: 2 },
    meta,
  );
  return { log, midLife, visit1 };
}

/** A second case whose only visit is voided. */
export function voidedVisit(log: EventLog) {
  const c = `case-${CASE_2}`;
  log.add(
    c,
    'IntakeRecorded',
    '2026-03-02T09:00:00+08:00',
    {
      organisationId: ORG,
      workerId: 'w1',
      communityCode: COMMUNITY,
      targetGroups: ['child', 'disabled'],
      client: { clientRef: 'client-2' },
      needs: ['tutoring'],
      riskLevel: 'medium',
    },
    meta,
  );
  const visit = log.add(
    c,
    'VisitRecorded',
    '2026-03-02T15:00:00+08:00',
    {
      visitId: 'v9',
      workerId: 'w1',
      mode: 'home',
      durationMinutes: 30,
      services: ['tutoring'],
    },
    meta,
  );
  log.add(
    c,
    'EntryVoided',
    '2026-03-02T16:00:00+08:00',
    { targetEventId: visit.eventId, reason: 'recorded twice' },
    meta,
  );
  return visit;
}
