import { createHash } from 'node:crypto';
import type { KeyStore } from '@fengcheng/http';
import type { FastifyInstance } from 'fastify';

/**
 * A small demo drawn from the 2024 news article on Yinchuan's social work
 * (`shared/seed/yinchuan-social-work-article.txt`): the four hub organisations it names,
 * a township station, the four brand projects, workers of each certification level, and
 * cases that follow its stories. Every fact goes through the real write path — HTTP
 * requests with an admin key for registrations and an agency key per organisation —
 * never SQL, so the demo exercises the same rules as any agency's system.
 *
 * Clients are fictional: names, phones and ID numbers are made up (the ID numbers carry
 * valid check characters so the schema accepts them).
 */

/** Fixed case ids so the README and a curious user can go straight to a case. */
export const DEMO_CASES = {
  /** 空巢老人: weekly home visits from 寸草心 under 牵手夕阳红. */
  elderly: '6d1f4a52-3b7e-4c1a-9f0e-1a2b3c4d5e01',
  /** 琦琦: a child with limited mobility, tutored weekly by 陶然, rice and oil at the festival. */
  child: '6d1f4a52-3b7e-4c1a-9f0e-1a2b3c4d5e02',
  /** A disabled client of 胜利街 station: skills training, then a job. */
  disabled: '6d1f4a52-3b7e-4c1a-9f0e-1a2b3c4d5e03',
} as const;

export const DEMO_ORGANISATIONS = [
  {
    organisationId: 'cuncaoxin',
    name: '银川市寸草心社会工作服务中心',
    kind: 'hub',
    regionCode: '640106000000',
  },
  { organisationId: 'chunxi', name: '银川市春熙社会工作服务中心', kind: 'hub', regionCode: '640104000000' },
  { organisationId: 'meilin', name: '银川市美林社会工作服务中心', kind: 'hub', regionCode: '640105000000' },
  { organisationId: 'taoran', name: '银川市陶然社会工作服务中心', kind: 'hub', regionCode: '640104000000' },
  {
    organisationId: 'shenglijie-station',
    name: '兴庆区胜利街街道社工站',
    kind: 'station',
    regionCode: '640104010000',
    parentOrganisationId: 'chunxi',
  },
] as const;

type OrganisationId = (typeof DEMO_ORGANISATIONS)[number]['organisationId'];

export const DEMO_PROJECTS = [
  {
    projectId: 'tongxin-xiangyang',
    organisationId: 'chunxi',
    name: '童心向阳',
    brand: '童心向阳',
    fundingSource: 'venture_philanthropy',
    regionCode: '640104000000',
    targetGroups: ['child'],
  },
  {
    projectId: 'lexiang-jiating',
    organisationId: 'meilin',
    name: '乐享家庭',
    brand: '乐享家庭',
    fundingSource: 'venture_philanthropy',
    regionCode: '640105000000',
    targetGroups: ['family'],
  },
  {
    projectId: 'qianshou-xiyanghong',
    organisationId: 'cuncaoxin',
    name: '牵手夕阳红',
    brand: '牵手夕阳红',
    fundingSource: 'government_purchase',
    regionCode: '640106000000',
    targetGroups: ['elderly'],
  },
  {
    projectId: 'kunjing-ertong',
    organisationId: 'taoran',
    name: '困境儿童援助',
    brand: '困境儿童援助',
    fundingSource: 'charity',
    regionCode: '640104000000',
    targetGroups: ['child'],
  },
  {
    projectId: 'zhucan-jiuye',
    organisationId: 'shenglijie-station',
    name: '助残就业帮扶',
    fundingSource: 'government_purchase',
    regionCode: '640104010000',
    targetGroups: ['disabled'],
  },
] as const;

/** Each organisation's workers: every certification level, and a supervisor in each. */
export const DEMO_WORKERS: ReadonlyArray<{
  workerId: string;
  organisationId: OrganisationId;
  certification: 'none' | 'junior' | 'intermediate' | 'senior';
  role: 'frontline' | 'supervisor';
}> = [
  { workerId: 'cuncaoxin-w01', organisationId: 'cuncaoxin', certification: 'senior', role: 'supervisor' },
  {
    workerId: 'cuncaoxin-w02',
    organisationId: 'cuncaoxin',
    certification: 'intermediate',
    role: 'frontline',
  },
  { workerId: 'cuncaoxin-w03', organisationId: 'cuncaoxin', certification: 'junior', role: 'frontline' },
  { workerId: 'chunxi-w01', organisationId: 'chunxi', certification: 'intermediate', role: 'supervisor' },
  { workerId: 'chunxi-w02', organisationId: 'chunxi', certification: 'junior', role: 'frontline' },
  { workerId: 'chunxi-w03', organisationId: 'chunxi', certification: 'none', role: 'frontline' },
  { workerId: 'meilin-w01', organisationId: 'meilin', certification: 'senior', role: 'supervisor' },
  { workerId: 'meilin-w02', organisationId: 'meilin', certification: 'junior', role: 'frontline' },
  { workerId: 'taoran-w01', organisationId: 'taoran', certification: 'intermediate', role: 'supervisor' },
  { workerId: 'taoran-w02', organisationId: 'taoran', certification: 'junior', role: 'frontline' },
  { workerId: 'taoran-w03', organisationId: 'taoran', certification: 'none', role: 'frontline' },
  {
    workerId: 'shenglijie-w01',
    organisationId: 'shenglijie-station',
    certification: 'intermediate',
    role: 'supervisor',
  },
  {
    workerId: 'shenglijie-w02',
    organisationId: 'shenglijie-station',
    certification: 'junior',
    role: 'frontline',
  },
];

/** Communities the stories happen in (plausible 12-digit codes under the real county codes). */
const COMMUNITIES = {
  /** 金凤区 满城北街街道, a community near 悦邻里. */
  jinfeng: '640106001004',
  /** 兴庆区 银古路街道 银虹社区. */
  yinhong: '640104009003',
  /** 兴庆区 胜利街街道 上前社区. */
  shangqian: '640104010004',
  /** 灵武市 郝家桥镇 泾兴村 (the 帮帮学家教课堂). */
  jingxing: '640181103201',
} as const;

export interface DemoSummary {
  /** Events appended by the demo. */
  events: number;
  /** Global position of the demo's last event: pass it as `minPosition` to see it all. */
  lastPosition: bigint;
  cases: typeof DEMO_CASES;
}

type Envelope = {
  eventId: string;
  type: string;
  caseId?: string;
  occurredAt: string;
  data: Record<string, unknown>;
};

/**
 * Posts the demo through `app.inject` with keys it issues for itself and revokes afterwards.
 * `now` anchors the stories: visits run up to a day ago, so workloads show recent visits.
 */
export async function loadDemo(
  app: FastifyInstance,
  keys: KeyStore,
  options: { now?: Date } = {},
): Promise<DemoSummary> {
  const now = options.now ?? new Date();
  const issued: string[] = [];
  const issue = async (role: 'admin' | 'agency', organisationId: string | undefined, label: string) => {
    const { keyId, key } = await keys.issue(role, organisationId, label);
    issued.push(keyId);
    return key;
  };

  let events = 0;
  let lastPosition = 0n;
  const post = async (key: string, envelope: Envelope) => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: envelope,
    });
    if (response.statusCode !== 201) {
      throw new Error(`demo: ${envelope.type} answered ${response.statusCode}: ${response.body}`);
    }
    const position = BigInt((response.json() as { position: string }).position);
    events++;
    if (position > lastPosition) lastPosition = position;
  };

  /** An occurredAt `days` before now at a CST hour, never in the future. */
  const at = (days: number, hour = 10): string => {
    const cstMidnight = Math.floor((now.getTime() + 8 * 3_600_000) / 86_400_000) * 86_400_000;
    let ms = cstMidnight - days * 86_400_000 + hour * 3_600_000 - 8 * 3_600_000;
    if (ms > now.getTime() - 60_000) ms = now.getTime() - 60_000;
    return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
  };

  try {
    const admin = await issue('admin', undefined, 'demo loader');
    const agency = new Map<string, string>();
    for (const organisation of DEMO_ORGANISATIONS) {
      agency.set(
        organisation.organisationId,
        await issue('agency', organisation.organisationId, `demo ${organisation.organisationId}`),
      );
    }
    const keyOf = (organisationId: OrganisationId) => agency.get(organisationId)!;

    for (const organisation of DEMO_ORGANISATIONS) {
      await post(admin, {
        eventId: demoUuid(`org:${organisation.organisationId}`),
        type: 'OrganisationRegistered',
        occurredAt: at(120),
        data: { ...organisation },
      });
    }
    for (const project of DEMO_PROJECTS) {
      await post(admin, {
        eventId: demoUuid(`project:${project.projectId}`),
        type: 'ProjectRegistered',
        occurredAt: at(118),
        data: { ...project, targetGroups: [...project.targetGroups] },
      });
    }
    for (const worker of DEMO_WORKERS) {
      await post(keyOf(worker.organisationId), {
        eventId: demoUuid(`worker:${worker.workerId}`),
        type: 'WorkerRegistered',
        occurredAt: at(115),
        data: { ...worker },
      });
    }
    // The talent policy at work: a junior worker passes the intermediate examination.
    await post(keyOf('taoran'), {
      eventId: demoUuid('worker:taoran-w02:certified'),
      type: 'WorkerCertified',
      occurredAt: at(90),
      data: { workerId: 'taoran-w02', certification: 'intermediate' },
    });

    await elderlyStory((envelope) => post(keyOf('cuncaoxin'), envelope), at);
    await childStory((envelope) => post(keyOf('taoran'), envelope), at);
    await disabledStory((envelope) => post(keyOf('shenglijie-station'), envelope), at);

    // 帮帮学家教课堂: volunteers tutor 50 village children through the holidays.
    await post(keyOf('chunxi'), {
      eventId: demoUuid('activity:bangbangxue'),
      type: 'GroupActivityRecorded',
      occurredAt: at(20, 14),
      data: {
        activityId: 'chunxi-bangbangxue-01',
        projectId: 'tongxin-xiangyang',
        workerIds: ['chunxi-w02', 'chunxi-w03'],
        communityCode: COMMUNITIES.jingxing,
        attendees: 50,
        targetGroups: ['child'],
        services: ['tutoring', 'recreation'],
      },
    });
    await post(keyOf('meilin'), {
      eventId: demoUuid('activity:lexiang-family-day'),
      type: 'GroupActivityRecorded',
      occurredAt: at(12, 15),
      data: {
        activityId: 'meilin-family-day-01',
        projectId: 'lexiang-jiating',
        workerIds: ['meilin-w02'],
        communityCode: '640105002003',
        attendees: 24,
        targetGroups: ['family', 'child'],
        services: ['family_support', 'recreation'],
      },
    });
    await post(keyOf('cuncaoxin'), {
      eventId: demoUuid('supervision:cuncaoxin-w02'),
      type: 'SupervisionRecorded',
      occurredAt: at(6, 16),
      data: { supervisorId: 'cuncaoxin-w01', superviseeId: 'cuncaoxin-w02', minutes: 60 },
    });
  } finally {
    for (const keyId of issued) await keys.revoke(keyId);
  }
  return { events, lastPosition, cases: DEMO_CASES };
}

type Post = (envelope: Envelope) => Promise<void>;
type At = (days: number, hour?: number) => string;

/** 为空巢老人提供居家养老上门服务: an empty-nest elderly woman, visited at home every week. */
async function elderlyStory(post: Post, at: At) {
  const caseId = DEMO_CASES.elderly;
  const id = (step: string) => demoUuid(`elderly:${step}`);
  await post({
    eventId: id('intake'),
    type: 'IntakeRecorded',
    caseId,
    occurredAt: at(63),
    data: {
      organisationId: 'cuncaoxin',
      workerId: 'cuncaoxin-w02',
      projectId: 'qianshou-xiyanghong',
      communityCode: COMMUNITIES.jinfeng,
      targetGroups: ['elderly'],
      client: {
        clientRef: 'ccx-2024-0117',
        name: '马桂兰',
        idNumber: '640106194803150020',
        phone: '139 9510 0117',
        address: '金凤区满城北街某小区 3-2-401',
        birthYear: 1948,
        gender: 'female',
      },
      needs: ['daily_living', 'health', 'social_isolation'],
      riskLevel: 'medium',
      referralSource: '社区网格员走访',
    },
  });
  await post({
    eventId: id('consent'),
    type: 'ConsentRecorded',
    caseId,
    occurredAt: at(63, 11),
    data: { scope: 'services', signatory: 'client' },
  });
  await post({
    eventId: id('assessment-1'),
    type: 'AssessmentRecorded',
    caseId,
    occurredAt: at(62),
    data: {
      workerId: 'cuncaoxin-w02',
      scores: { daily_living: 7, health: 6, social_isolation: 8 },
      riskLevel: 'medium',
    },
  });
  await post({
    eventId: id('plan'),
    type: 'CasePlanRecorded',
    caseId,
    occurredAt: at(60),
    data: {
      goals: [
        { goalId: 'g1', need: 'daily_living', description: '每周上门协助家务与购物' },
        { goalId: 'g2', need: 'social_isolation', description: '每月参加一次社区老年活动' },
      ],
      approvedBy: 'cuncaoxin-w01',
    },
  });
  for (let week = 8; week >= 0; week--) {
    await post({
      eventId: id(`visit-${week}`),
      type: 'VisitRecorded',
      caseId,
      occurredAt: at(week * 7 + 1, 9),
      data: {
        visitId: `ccx-v-${8 - week + 1}`,
        workerId: 'cuncaoxin-w02',
        mode: 'home',
        durationMinutes: 90,
        services: week % 2 === 0 ? ['daily_living', 'health'] : ['daily_living', 'counselling'],
        notes: '老人情绪平稳，协助打扫并陪同聊天',
      },
    });
  }
  await post({
    eventId: id('assessment-2'),
    type: 'AssessmentRecorded',
    caseId,
    occurredAt: at(2),
    data: {
      workerId: 'cuncaoxin-w02',
      scores: { daily_living: 5, health: 5, social_isolation: 4 },
      riskLevel: 'low',
    },
  });
}

/** 琦琦: 腿脚不便, visited every week for tutoring; rice and cooking oil at the festival. */
async function childStory(post: Post, at: At) {
  const caseId = DEMO_CASES.child;
  const id = (step: string) => demoUuid(`child:${step}`);
  await post({
    eventId: id('intake'),
    type: 'IntakeRecorded',
    caseId,
    occurredAt: at(84),
    data: {
      organisationId: 'taoran',
      workerId: 'taoran-w02',
      projectId: 'kunjing-ertong',
      communityCode: COMMUNITIES.yinhong,
      targetGroups: ['child', 'disabled'],
      client: {
        clientRef: 'tr-2024-0032',
        name: '田琦琦',
        idNumber: '640104201506070032',
        phone: '138 0951 0032',
        address: '兴庆区银古路某小区 7-1-202',
        birthYear: 2015,
        gender: 'female',
      },
      needs: ['tutoring', 'family_support', 'mobility'],
      riskLevel: 'high',
      referralSource: '家长求助',
    },
  });
  await post({
    eventId: id('consent'),
    type: 'ConsentRecorded',
    caseId,
    occurredAt: at(84, 11),
    data: { scope: 'services', signatory: 'guardian' },
  });
  await post({
    eventId: id('assessment'),
    type: 'AssessmentRecorded',
    caseId,
    occurredAt: at(83),
    data: {
      workerId: 'taoran-w02',
      scores: { tutoring: 8, family_support: 6, mobility: 9 },
      riskLevel: 'high',
    },
  });
  await post({
    eventId: id('plan'),
    type: 'CasePlanRecorded',
    caseId,
    occurredAt: at(82),
    data: {
      goals: [
        { goalId: 'g1', need: 'tutoring', description: '每周家访辅导作业，跟上课程进度' },
        { goalId: 'g2', need: 'family_support', description: '指导家长与孩子沟通相处的方法' },
      ],
      approvedBy: 'taoran-w01',
    },
  });
  for (let week = 11; week >= 0; week--) {
    await post({
      eventId: id(`visit-${week}`),
      type: 'VisitRecorded',
      caseId,
      occurredAt: at(week * 7 + 3, 16),
      data: {
        visitId: `tr-v-${11 - week + 1}`,
        workerId: 'taoran-w02',
        mode: 'home',
        durationMinutes: 60,
        services: week % 3 === 0 ? ['tutoring', 'family_support'] : ['tutoring'],
      },
    });
  }
  // 逢年过节还给我们申请大米和食用油.
  await post({
    eventId: id('rice'),
    type: 'ResourceLinked',
    caseId,
    occurredAt: at(30, 10),
    data: {
      resourceType: 'material',
      description: '节日慰问：大米',
      provider: '兴庆区慈善总会',
      quantity: 25,
      unit: 'kg',
      valueYuan: 110,
    },
  });
  await post({
    eventId: id('oil'),
    type: 'ResourceLinked',
    caseId,
    occurredAt: at(30, 10),
    data: {
      resourceType: 'material',
      description: '节日慰问：食用油',
      provider: '兴庆区慈善总会',
      quantity: 5,
      unit: 'L',
      valueYuan: 80,
    },
  });
}

/** 为残疾人牵线搭桥谋就业: skills training through a referral, then a job; the case closes. */
async function disabledStory(post: Post, at: At) {
  const caseId = DEMO_CASES.disabled;
  const id = (step: string) => demoUuid(`disabled:${step}`);
  await post({
    eventId: id('intake'),
    type: 'IntakeRecorded',
    caseId,
    occurredAt: at(100),
    data: {
      organisationId: 'shenglijie-station',
      workerId: 'shenglijie-w02',
      projectId: 'zhucan-jiuye',
      communityCode: COMMUNITIES.shangqian,
      targetGroups: ['disabled', 'low_income'],
      client: {
        clientRef: 'slj-2024-0004',
        name: '丁永福',
        idNumber: '640104199002120040',
        phone: '137 0951 0004',
        address: '兴庆区胜利街上前社区某巷 12 号',
        birthYear: 1990,
        gender: 'male',
      },
      needs: ['skills_training', 'employment'],
      riskLevel: 'low',
      referralSource: '助残专干走访',
    },
  });
  await post({
    eventId: id('consent-services'),
    type: 'ConsentRecorded',
    caseId,
    occurredAt: at(100, 11),
    data: { scope: 'services', signatory: 'client' },
  });
  await post({
    eventId: id('consent-share'),
    type: 'ConsentRecorded',
    caseId,
    occurredAt: at(100, 11),
    data: { scope: 'share_with_other_organisations', signatory: 'client' },
  });
  await post({
    eventId: id('assessment-1'),
    type: 'AssessmentRecorded',
    caseId,
    occurredAt: at(99),
    data: { workerId: 'shenglijie-w02', scores: { skills_training: 8, employment: 9 }, riskLevel: 'low' },
  });
  await post({
    eventId: id('plan'),
    type: 'CasePlanRecorded',
    caseId,
    occurredAt: at(98),
    data: {
      goals: [
        { goalId: 'g1', need: 'skills_training', description: '参加面点技艺培训并取得结业证书' },
        { goalId: 'g2', need: 'employment', description: '实现稳定就业' },
      ],
      approvedBy: 'shenglijie-w01',
    },
  });
  await post({
    eventId: id('visit-1'),
    type: 'VisitRecorded',
    caseId,
    occurredAt: at(97, 15),
    data: {
      visitId: 'slj-v-1',
      workerId: 'shenglijie-w02',
      mode: 'home',
      durationMinutes: 45,
      services: ['counselling', 'skills_training'],
    },
  });
  await post({
    eventId: id('referral-training'),
    type: 'ReferralMade',
    caseId,
    occurredAt: at(96),
    data: {
      referralId: 'slj-r-1',
      toOrganisation: '兴庆区残疾人职业技能培训中心',
      service: 'skills_training',
      reason: '面点技艺培训',
      urgency: 'routine',
    },
  });
  await post({
    eventId: id('referral-training-accepted'),
    type: 'ReferralAccepted',
    caseId,
    occurredAt: at(94),
    data: { referralId: 'slj-r-1' },
  });
  await post({
    eventId: id('visit-2'),
    type: 'VisitRecorded',
    caseId,
    occurredAt: at(70, 15),
    data: {
      visitId: 'slj-v-2',
      workerId: 'shenglijie-w02',
      mode: 'centre',
      durationMinutes: 30,
      services: ['skills_training'],
    },
  });
  await post({
    eventId: id('referral-training-completed'),
    type: 'ReferralCompleted',
    caseId,
    occurredAt: at(50),
    data: { referralId: 'slj-r-1', outcome: '完成面点培训，取得结业证书' },
  });
  await post({
    eventId: id('referral-job'),
    type: 'ReferralMade',
    caseId,
    occurredAt: at(48),
    data: {
      referralId: 'slj-r-2',
      toOrganisation: '兴庆区就业创业服务中心',
      service: 'employment',
      reason: '推荐面点岗位',
      urgency: 'routine',
    },
  });
  await post({
    eventId: id('referral-job-accepted'),
    type: 'ReferralAccepted',
    caseId,
    occurredAt: at(46),
    data: { referralId: 'slj-r-2' },
  });
  await post({
    eventId: id('referral-job-completed'),
    type: 'ReferralCompleted',
    caseId,
    occurredAt: at(35),
    data: { referralId: 'slj-r-2', outcome: '在社区烘焙坊就业' },
  });
  await post({
    eventId: id('visit-3'),
    type: 'VisitRecorded',
    caseId,
    occurredAt: at(28, 15),
    data: {
      visitId: 'slj-v-3',
      workerId: 'shenglijie-w02',
      mode: 'phone',
      durationMinutes: 20,
      services: ['employment'],
    },
  });
  await post({
    eventId: id('assessment-2'),
    type: 'AssessmentRecorded',
    caseId,
    occurredAt: at(27),
    data: { workerId: 'shenglijie-w02', scores: { skills_training: 2, employment: 1 }, riskLevel: 'low' },
  });
  await post({
    eventId: id('closed'),
    type: 'CaseClosed',
    caseId,
    occurredAt: at(26),
    data: { reason: 'goals_achieved', goalAttainment: 2, summary: '已稳定就业，目标达成' },
  });
}

/** A name-based UUID (version 5 layout over SHA-256): the same demo step always has the same id. */
export function demoUuid(name: string): string {
  const hex = createHash('sha256').update(`fengcheng-demo:${name}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
