import {
  type Certification,
  type Envelope,
  type RiskLevel,
  residentIdCheckCharacter,
  type Service,
  type TargetGroup,
  type WorkerRole,
} from '@fengcheng/domain';
import {
  BRAND_PROJECT_PLAN,
  buildTownships,
  COUNTIES,
  GIVEN,
  HUB_NAMES,
  SURNAMES,
  type Township,
} from './geography';
import { Random } from './random';

/**
 * A deterministic Yinchuan ledger: the same seed and scale give the same events, ids included,
 * so loading it twice appends nothing the second time. By construction its service instances
 * (counting rule: visit 1, group activity = attendees, resource link 1, voided entries 0) add
 * up to exactly 140,000 × scale.
 */
export const SERVICE_INSTANCES_PER_SCALE = 140_000;
export const WORKERS = 7_599;
const DAY = 86_400_000;
const START = Date.parse('2023-06-01T09:00:00+08:00');
const END = Date.parse('2026-10-31T18:00:00+08:00');
/** Share of each organisation's service instances that comes from group activities. */
const GROUP_SHARE = 0.2;
const CADENCE_DAYS: Record<RiskLevel, number> = { high: 7, medium: 30, low: 90 };

export interface Organisation {
  organisationId: string;
  name: string;
  kind: 'hub' | 'station';
  county: string;
  regionCode: string;
  communities: string[];
  /** Relative size: workers and service quota follow it. */
  weight: number;
}

export interface Worker {
  workerId: string;
  organisationId: string;
  role: WorkerRole;
  certification: Certification;
}

export interface Project {
  projectId: string;
  organisationId: string;
  name: string;
  brand?: string;
  targetGroup?: TargetGroup;
}

export interface YinchuanDataset {
  seed: number;
  scale: number;
  organisations: Organisation[];
  workers: Worker[];
  projects: Project[];
  /** Registrations an admin posts first: organisations, projects, workers. */
  registrations: Envelope[];
  /** Each organisation's service-instance quota; they add up to 140,000 × scale. */
  quotas: Map<string, number>;
  /** The organisation's own events (cases, group activities, supervision) in an order the decider accepts. */
  eventsFor(organisationId: string): Generator<Envelope>;
}

const iso = (ms: number) => {
  // ISO-8601 in China Standard Time with its offset, as an agency in Yinchuan would send it.
  const local = new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);
  return `${local}+08:00`;
};

export function generateYinchuan(options: { seed?: number; scale?: number } = {}): YinchuanDataset {
  const seed = options.seed ?? 20_240_101;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error('scale must be a positive integer');
  const root = new Random(seed);
  const townships = buildTownships();
  const organisations = buildOrganisations(root.fork('organisations'), townships);
  const workers = buildWorkers(root.fork('workers'), organisations);
  const projects = buildProjects(root.fork('projects'), organisations);
  const quotas = splitExactly(
    SERVICE_INSTANCES_PER_SCALE * scale,
    organisations.map((o) => [o.organisationId, o.weight] as const),
  );
  const ids = new Random(seed ^ 0x5eed);
  const registrationIds = ids.fork('registrations');
  const at = iso(START - 30 * DAY);
  const registrations: Envelope[] = [
    ...organisations.map(
      (o): Envelope => ({
        eventId: registrationIds.uuid(),
        type: 'OrganisationRegistered',
        occurredAt: at,
        data: {
          organisationId: o.organisationId,
          name: o.name,
          kind: o.kind,
          regionCode: o.regionCode,
        },
      }),
    ),
    ...projects.map(
      (p): Envelope => ({
        eventId: registrationIds.uuid(),
        type: 'ProjectRegistered',
        occurredAt: at,
        data: {
          projectId: p.projectId,
          organisationId: p.organisationId,
          name: p.name,
          ...(p.brand ? { brand: p.brand as '童心向阳' } : {}),
          fundingSource: p.brand ? 'venture_philanthropy' : 'government_purchase',
          ...(p.targetGroup ? { targetGroups: [p.targetGroup] } : {}),
        },
      }),
    ),
    ...workers.map(
      (w): Envelope => ({
        eventId: registrationIds.uuid(),
        type: 'WorkerRegistered',
        occurredAt: at,
        data: {
          workerId: w.workerId,
          organisationId: w.organisationId,
          certification: w.certification,
          role: w.role,
        },
      }),
    ),
  ];

  const byOrganisation = new Map<string, { org: Organisation; workers: Worker[]; projects: Project[] }>();
  for (const org of organisations) byOrganisation.set(org.organisationId, { org, workers: [], projects: [] });
  for (const w of workers) byOrganisation.get(w.organisationId)?.workers.push(w);
  for (const p of projects) byOrganisation.get(p.organisationId)?.projects.push(p);

  return {
    seed,
    scale,
    organisations,
    workers,
    projects,
    registrations,
    quotas,
    *eventsFor(organisationId: string) {
      const entry = byOrganisation.get(organisationId);
      if (!entry) throw new Error(`unknown organisation ${organisationId}`);
      const quota = quotas.get(organisationId) ?? 0;
      const random = new Random(seed).fork(`events:${organisationId}`);
      yield* organisationEvents(random, entry.org, entry.workers, entry.projects, organisations, quota);
    },
  };
}

function buildOrganisations(random: Random, townships: Township[]): Organisation[] {
  const countyWeights = [
    ['640104', 5],
    ['640106', 5],
    ['640105', 4],
    ['640121', 4],
    ['640122', 4],
    ['640181', 4],
  ] as const;
  const hubs = HUB_NAMES.map((name, i): Organisation => {
    const county = i < 6 ? COUNTIES[i]!.code : random.weighted(countyWeights);
    const communities = townships.filter((t) => t.county === county).flatMap((t) => t.communities);
    return {
      organisationId: `hub-${String(i + 1).padStart(2, '0')}`,
      name: `银川市${name}社会工作服务中心`,
      kind: 'hub',
      county,
      regionCode: `${county}000000`,
      communities,
      weight: 175 + random.int(-40, 40),
    };
  });
  const stations = townships.map(
    (t): Organisation => ({
      organisationId: `station-${t.code.slice(0, 9)}`,
      name: `${COUNTIES.find((c) => c.code === t.county)?.name ?? ''}第${Number(t.code.slice(6, 9))}乡镇（街道）社工站`,
      kind: 'station',
      county: t.county,
      regionCode: t.code,
      communities: t.communities,
      weight: 48 + random.int(-12, 12),
    }),
  );
  return [...hubs, ...stations];
}

function buildWorkers(random: Random, organisations: Organisation[]): Worker[] {
  const counts = splitExactly(
    WORKERS,
    organisations.map((o) => [o.organisationId, o.weight] as const),
  );
  const workers: Worker[] = [];
  for (const org of organisations) {
    const n = counts.get(org.organisationId) ?? 0;
    for (let i = 0; i < n; i++) {
      const supervisor = i < Math.max(1, Math.round(n / 12));
      workers.push({
        workerId: `w-${String(workers.length + 1).padStart(5, '0')}`,
        organisationId: org.organisationId,
        role: supervisor ? 'supervisor' : 'frontline',
        certification: supervisor
          ? random.weighted([
              ['intermediate', 6],
              ['senior', 3],
              ['junior', 1],
            ] as const)
          : random.weighted([
              ['none', 35],
              ['junior', 42],
              ['intermediate', 19],
              ['senior', 4],
            ] as const),
      });
    }
  }
  return workers;
}

const PROJECT_THEMES = [
  '关爱',
  '助老',
  '助残',
  '护童',
  '邻里',
  '家庭',
  '就业',
  '心理',
  '互助',
  '文化',
] as const;
const THEME_GROUP: Record<(typeof PROJECT_THEMES)[number], TargetGroup> = {
  关爱: 'other',
  助老: 'elderly',
  助残: 'disabled',
  护童: 'child',
  邻里: 'other',
  家庭: 'family',
  就业: 'low_income',
  心理: 'other',
  互助: 'low_income',
  文化: 'elderly',
};

function buildProjects(random: Random, organisations: Organisation[]): Project[] {
  const projects: Project[] = [];
  const next = () => `p-${String(projects.length + 1).padStart(4, '0')}`;
  for (const plan of BRAND_PROJECT_PLAN) {
    const org = organisations[plan.hub]!;
    projects.push({
      projectId: next(),
      organisationId: org.organisationId,
      name: `${plan.brand}项目`,
      brand: plan.brand,
      targetGroup: plan.targetGroup,
    });
  }
  for (const org of organisations) {
    const n =
      org.kind === 'hub' ? 11 - (projects.some((p) => p.organisationId === org.organisationId) ? 1 : 0) : 2;
    for (let i = 0; i < n; i++) {
      const theme = random.pick(PROJECT_THEMES);
      projects.push({
        projectId: next(),
        organisationId: org.organisationId,
        name: `${org.name.replace(/社会工作服务中心|社工站/, '')}${theme}项目${i + 1}`,
        targetGroup: THEME_GROUP[theme],
      });
    }
  }
  return projects;
}

/** Splits `total` into integer parts proportional to the weights that add up to exactly `total`. */
export function splitExactly(
  total: number,
  weights: ReadonlyArray<readonly [string, number]>,
): Map<string, number> {
  const sum = weights.reduce((s, [, w]) => s + w, 0);
  const parts = weights.map(([key, w]) => {
    const exact = (total * w) / sum;
    return { key, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - parts.reduce((s, p) => s + p.floor, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest || a.key.localeCompare(b.key))) {
    if (left <= 0) break;
    p.floor++;
    left--;
  }
  return new Map(parts.map((p) => [p.key, p.floor]));
}

const GROUP_NEEDS: Record<TargetGroup, Array<[string, Service]>> = {
  elderly: [
    ['daily_living', 'daily_living'],
    ['health', 'health'],
    ['loneliness', 'counselling'],
  ],
  child: [
    ['education', 'tutoring'],
    ['emotional', 'counselling'],
    ['family_care', 'family_support'],
  ],
  disabled: [
    ['rehabilitation', 'health'],
    ['skills', 'skills_training'],
    ['employment', 'employment'],
  ],
  low_income: [
    ['income', 'employment'],
    ['daily_living', 'daily_living'],
  ],
  family: [
    ['relationships', 'family_support'],
    ['parenting', 'counselling'],
  ],
  other: [
    ['social', 'recreation'],
    ['legal', 'legal_aid'],
  ],
};

const RESOURCES = [
  {
    resourceType: 'material',
    description: '节日慰问：大米和食用油',
    provider: '街道办事处',
    quantity: 1,
    unit: '份',
    valueYuan: 150,
  },
  { resourceType: 'financial', description: '慈善基金临时救助', provider: '银川市慈善总会', valueYuan: 1000 },
  { resourceType: 'service', description: '志愿者课业辅导', provider: '大学生志愿服务队' },
  { resourceType: 'policy', description: '残疾人两项补贴申领', provider: '区残联' },
] as const;

function* organisationEvents(
  random: Random,
  org: Organisation,
  workers: Worker[],
  projects: Project[],
  organisations: Organisation[],
  quota: number,
): Generator<Envelope> {
  const frontline = workers.filter((w) => w.role === 'frontline');
  const supervisors = workers.filter((w) => w.role === 'supervisor');
  const groupTarget = Math.round(quota * GROUP_SHARE);
  let caseRemaining = quota - groupTarget;
  let caseIndex = 0;
  while (caseRemaining > 0) {
    const { events, counted } = caseEvents(
      random.fork(caseIndex++),
      org,
      frontline,
      supervisors,
      projects,
      organisations,
      caseRemaining,
    );
    caseRemaining -= counted;
    yield* events;
  }

  let groupRemaining = groupTarget;
  let activityIndex = 0;
  while (groupRemaining > 0) {
    const r = random.fork(`activity:${activityIndex}`);
    const attendees = Math.min(groupRemaining, r.int(8, 60));
    groupRemaining -= attendees;
    const project = r.pick(projects);
    const targetGroup = project.targetGroup ?? r.pick(['elderly', 'child', 'family'] as const);
    const activityId = `${org.organisationId}-ga-${++activityIndex}`;
    yield {
      eventId: r.uuid(),
      type: 'GroupActivityRecorded',
      occurredAt: iso(START + r.int(0, (END - START) / DAY - 1) * DAY + r.int(0, 8) * 3_600_000),
      data: {
        activityId,
        projectId: project.projectId,
        workerIds: [r.pick(frontline).workerId],
        communityCode: r.pick(org.communities),
        attendees,
        targetGroups: [targetGroup],
        services: [r.pick(GROUP_NEEDS[targetGroup])[1]],
      },
    };
  }

  // Supervision: one session a month per supervisor with a frontline worker, over the last year.
  for (const supervisor of supervisors) {
    for (let m = 0; m < 12; m++) {
      const r = random.fork(`supervision:${supervisor.workerId}:${m}`);
      yield {
        eventId: r.uuid(),
        type: 'SupervisionRecorded',
        occurredAt: iso(END - (12 - m) * 30 * DAY),
        data: {
          supervisorId: supervisor.workerId,
          superviseeId: r.pick(frontline).workerId,
          minutes: r.pick([30, 45, 60, 90]),
        },
      };
    }
  }
}

function caseEvents(
  r: Random,
  org: Organisation,
  frontline: Worker[],
  supervisors: Worker[],
  projects: Project[],
  organisations: Organisation[],
  remaining: number,
): { events: Envelope[]; counted: number } {
  const caseId = r.uuid();
  const events: Array<{
    at: number;
    seq: number;
    envelope: Omit<Envelope, 'eventId' | 'caseId' | 'occurredAt'>;
  }> = [];
  let seq = 0;
  const add = (at: number, envelope: { type: Envelope['type']; data: unknown }) =>
    events.push({
      at,
      seq: seq++,
      envelope: envelope as Omit<Envelope, 'eventId' | 'caseId' | 'occurredAt'>,
    });

  const project = r.pick(projects);
  const targetGroup: TargetGroup =
    project.targetGroup ??
    r.weighted([
      ['elderly', 4],
      ['child', 3],
      ['disabled', 2],
      ['low_income', 2],
      ['family', 1],
    ] as const);
  const needs = GROUP_NEEDS[targetGroup];
  let worker = r.pick(frontline);
  const risk = r.weighted([
    ['high', 2],
    ['medium', 5],
    ['low', 3],
  ] as const);
  const opened = START + r.int(0, Math.floor((END - START) / DAY) - 45) * DAY + r.int(0, 8) * 3_600_000;
  const closes = r.chance(0.65);
  const closeAt = closes ? Math.min(END - DAY, opened + r.int(60, 540) * DAY) : END;
  const birthYear =
    targetGroup === 'elderly'
      ? r.int(1935, 1960)
      : targetGroup === 'child'
        ? r.int(2010, 2020)
        : r.int(1965, 2004);
  const idBody = `${org.county}${birthYear}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}${String(r.int(0, 999)).padStart(3, '0')}`;
  const clientRef = `c-${caseId.slice(0, 8)}`;

  add(opened, {
    type: 'IntakeRecorded',
    data: {
      organisationId: org.organisationId,
      workerId: worker.workerId,
      projectId: project.projectId,
      communityCode: r.pick(org.communities),
      targetGroups: [targetGroup],
      client: {
        clientRef,
        name: `${r.pick(SURNAMES)}${r.pick(GIVEN)}`,
        idNumber: `${idBody}${residentIdCheckCharacter(idBody)}`,
        phone: `139${String(r.int(0, 99_999_999)).padStart(8, '0')}`,
        address: `${org.name.slice(0, 3)}某小区${r.int(1, 30)}号楼`,
        birthYear,
        gender: r.pick(['female', 'male'] as const),
      },
      needs: needs.map(([need]) => need),
      riskLevel: risk,
      referralSource: r.pick(['社区网格员', '居委会', '本人申请', '学校']),
    },
  });
  add(opened, {
    type: 'ConsentRecorded',
    data: { scope: 'services', signatory: targetGroup === 'child' ? 'guardian' : 'client' },
  });
  const refers = r.chance(0.25);
  if (refers) {
    add(opened, {
      type: 'ConsentRecorded',
      data: {
        scope: 'share_with_other_organisations',
        signatory: targetGroup === 'child' ? 'guardian' : 'client',
      },
    });
  }
  const firstScores = Object.fromEntries(needs.map(([need]) => [need, r.int(5, 9)]));
  add(opened + 2 * DAY, {
    type: 'AssessmentRecorded',
    data: { workerId: worker.workerId, scores: firstScores, riskLevel: risk },
  });
  add(opened + 5 * DAY, {
    type: 'CasePlanRecorded',
    data: {
      goals: needs.map(([need], i) => ({ goalId: `g${i + 1}`, need, description: `改善${need}` })),
      approvedBy: r.pick(supervisors).workerId,
    },
  });

  // Visits at the cadence the risk level asks, until closure (or the end of the data).
  const cadence = CADENCE_DAYS[risk];
  const visitTimes: number[] = [];
  for (let t = opened + 7 * DAY; t < closeAt - DAY; t += cadence * DAY + r.int(-1, 1) * DAY)
    visitTimes.push(t);
  let resources = targetGroup === 'child' || targetGroup === 'low_income' ? r.int(1, 3) : r.int(0, 1);
  // Fit the quota exactly: drop visits first, then resources.
  let visits = visitTimes.length;
  if (visits + resources > remaining) {
    visits = Math.min(visits, remaining);
    resources = remaining - visits;
  }
  const transferAt = r.chance(0.05) && visits > 4 ? visitTimes[Math.floor(visits / 2)]! - DAY : undefined;
  const mainService = needs[0]![1];
  for (let i = 0; i < visits; i++) {
    const at = visitTimes[i]!;
    add(at, {
      type: 'VisitRecorded',
      data: {
        visitId: `v${i + 1}`,
        workerId: transferAt !== undefined && at > transferAt ? '__transferred__' : worker.workerId,
        mode:
          risk === 'high'
            ? 'home'
            : r.weighted([
                ['home', 5],
                ['phone', 3],
                ['centre', 2],
                ['online', 1],
              ] as const),
        durationMinutes: r.int(20, 120),
        services: [mainService],
        ...(r.chance(0.3) ? { notes: `第${i + 1}次走访，情况稳定。` } : {}),
      },
    });
  }
  if (transferAt !== undefined) {
    // Another worker than the one who has the case (the decider refuses a transfer to them),
    // chosen without a further draw so that the rest of the dataset stays as it was.
    const drawn = r.pick(frontline);
    const to =
      drawn.workerId === worker.workerId
        ? (frontline[(frontline.indexOf(drawn) + 1) % frontline.length] as Worker)
        : drawn;
    add(transferAt, { type: 'CaseTransferred', data: { toWorkerId: to.workerId } });
    for (const e of events) {
      const data = e.envelope.data as { workerId?: string };
      if (data.workerId === '__transferred__') data.workerId = to.workerId;
    }
    worker = to;
  }
  // One visit in a hundred cases is recorded by mistake and voided: it counts nothing in the end.
  const voidVisit = visits > 0 && r.chance(0.01);
  for (let i = 0; i < resources; i++) {
    const resource = targetGroup === 'child' && i === 0 ? RESOURCES[0] : r.pick(RESOURCES);
    add(opened + r.int(10, Math.max(11, Math.floor((closeAt - opened) / DAY) - 2)) * DAY, {
      type: 'ResourceLinked',
      data: { ...resource },
    });
  }
  if (refers) {
    const target = r.pick(organisations.filter((o) => o.organisationId !== org.organisationId));
    const made = opened + r.int(8, 40) * DAY;
    const referralService: Service = targetGroup === 'disabled' ? 'skills_training' : r.pick(needs)[1];
    add(made, {
      type: 'ReferralMade',
      data: {
        referralId: 'r1',
        toOrganisation: target.organisationId,
        service: referralService,
        reason: '需要专业服务',
        urgency: r.pick(['routine', 'urgent'] as const),
      },
    });
    const outcome = r.weighted([
      ['completed', 60],
      ['accepted', 15],
      ['declined', 15],
      ['cancelled', 10],
    ] as const);
    if (outcome === 'declined')
      add(made + 3 * DAY, { type: 'ReferralDeclined', data: { referralId: 'r1', reason: '名额已满' } });
    else if (outcome === 'cancelled')
      add(made + 3 * DAY, {
        type: 'ReferralCancelled',
        data: { referralId: 'r1', reason: '服务对象改变主意' },
      });
    else {
      add(made + 3 * DAY, { type: 'ReferralAccepted', data: { referralId: 'r1' } });
      // A referral still running at closure stays accepted: nothing may follow the closure.
      if (outcome === 'completed' && made + 30 * DAY < closeAt - 2 * DAY) {
        add(made + 30 * DAY, { type: 'ReferralCompleted', data: { referralId: 'r1', outcome: '已完成' } });
      }
    }
  }
  if (closes) {
    const latest = Object.fromEntries(
      Object.entries(firstScores).map(([k, v]) => [k, Math.max(0, v - r.int(0, 5))]),
    );
    add(closeAt - DAY, {
      type: 'AssessmentRecorded',
      data: { workerId: worker.workerId, scores: latest, riskLevel: 'low' },
    });
    const reason = r.weighted([
      ['goals_achieved', 55],
      ['client_declined', 8],
      ['moved', 10],
      ['ineligible', 3],
      ['other', 15],
      ...(targetGroup === 'elderly' ? ([['deceased', 4]] as const) : []),
    ] as const);
    add(closeAt, {
      type: 'CaseClosed',
      data: { reason, goalAttainment: reason === 'goals_achieved' ? r.int(1, 2) : r.int(-1, 1) },
    });
  }

  events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  const envelopes: Envelope[] = events.map(
    (e) => ({ eventId: r.uuid(), caseId, occurredAt: iso(e.at), ...e.envelope }) as Envelope,
  );
  if (voidVisit) {
    const visit = envelopes.find((e) => e.type === 'VisitRecorded');
    if (visit) {
      // The void and an extra visit that replaces the mistaken one: the case still counts `visits`.
      const last = envelopes[envelopes.length - 1]!;
      const closed = last.type === 'CaseClosed';
      const tail = closed ? envelopes.pop()! : undefined;
      envelopes.push(
        {
          eventId: r.uuid(),
          caseId,
          type: 'EntryVoided',
          occurredAt: (tail ?? last).occurredAt,
          data: { targetEventId: visit.eventId, reason: '重复录入' },
        },
        {
          ...visit,
          eventId: r.uuid(),
          occurredAt: (tail ?? last).occurredAt,
          data: { ...(visit.data as object), visitId: 'v-corrected' },
        } as Envelope,
      );
      if (tail) envelopes.push(tail);
    }
  }
  return { events: envelopes, counted: visits + resources };
}
