import type { DomainEvent, Envelope, EventData, EventType } from '../events';
import type { DecideContext } from '../shared/decide-context';
import { testContext } from './given';

/** A deterministic v4-shaped uuid for the n-th id of a test. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const CASE_ID = uuid(0xcace);
/** When test facts happen: half an hour before the test clock (testContext's 08:00 CST). */
export const AT = '2026-03-01T07:30:00+08:00';

/** The world most tests run in: organisations A and B, their workers, a project of each. */
export const WORLD = {
  organisations: ['org-a', 'org-b'],
  workers: {
    'w-a1': { organisationId: 'org-a', role: 'frontline', certification: 'junior' },
    'w-a2': { organisationId: 'org-a', role: 'frontline', certification: 'none' },
    'sup-a': { organisationId: 'org-a', role: 'supervisor', certification: 'intermediate' },
    'w-b1': { organisationId: 'org-b', role: 'frontline', certification: 'senior' },
    'sup-b': { organisationId: 'org-b', role: 'supervisor', certification: 'senior' },
  },
  projects: { 'p-a': { organisationId: 'org-a' }, 'p-b': { organisationId: 'org-b' } },
} as const;

/** A context with WORLD registered; agency of org-a unless told otherwise. */
export function ctxFor(overrides: Partial<Pick<DecideContext, 'actor' | 'now'>> = {}): DecideContext {
  return testContext({
    ...overrides,
    workers: { ...WORLD.workers },
    projects: { ...WORLD.projects },
    organisations: [...WORLD.organisations],
  });
}

export const AGENCY_A = ctxFor();
export const AGENCY_B = ctxFor({ actor: { role: 'agency', organisationId: 'org-b' } });
export const ADMIN = ctxFor({ actor: { role: 'admin' } });

let counter = 0;

/** A case envelope (or any envelope, with `caseId: undefined`) with a fresh eventId. */
export function cmd<T extends EventType>(
  type: T,
  data: EventData<T>,
  opts: { caseId?: string | undefined; occurredAt?: string; eventId?: string } = {},
): Extract<Envelope, { type: T }> {
  counter += 1;
  const envelope = {
    eventId: opts.eventId ?? uuid(counter),
    type,
    occurredAt: opts.occurredAt ?? AT,
    data,
  } as Extract<Envelope, { type: T }>;
  const caseId = 'caseId' in opts ? opts.caseId : CASE_ID;
  if (caseId !== undefined) envelope.caseId = caseId;
  return envelope;
}

/** The event a command records. */
export function ev<E extends Envelope>(command: E): DomainEvent {
  return {
    type: command.type,
    eventId: command.eventId,
    occurredAt: command.occurredAt,
    data: command.data,
  } as DomainEvent;
}

export const intakeData = (over: Partial<EventData<'IntakeRecorded'>> = {}): EventData<'IntakeRecorded'> => ({
  organisationId: 'org-a',
  workerId: 'w-a1',
  projectId: 'p-a',
  communityCode: '640104001001',
  targetGroups: ['elderly'],
  client: { clientRef: 'client-1', birthYear: 1948, gender: 'female' },
  needs: ['daily_living'],
  riskLevel: 'medium',
  ...over,
});

export const visitData = (over: Partial<EventData<'VisitRecorded'>> = {}): EventData<'VisitRecorded'> => ({
  visitId: 'v-1',
  workerId: 'w-a1',
  mode: 'home',
  durationMinutes: 45,
  services: ['daily_living'],
  ...over,
});

export const referralData = (over: Partial<EventData<'ReferralMade'>> = {}): EventData<'ReferralMade'> => ({
  referralId: 'r-1',
  toOrganisation: 'org-b',
  service: 'health',
  reason: 'needs rehabilitation',
  urgency: 'routine',
  ...over,
});

export const resourceData = (): EventData<'ResourceLinked'> => ({
  resourceType: 'material',
  description: 'rice and cooking oil',
  provider: 'street office',
  quantity: 10,
  unit: 'kg',
  valueYuan: 120,
});

export const closeData = (): EventData<'CaseClosed'> => ({ reason: 'goals_achieved', goalAttainment: 1 });

/** An opened case: the intake event and its command. */
export function openedCase(): DomainEvent[] {
  return [ev(cmd('IntakeRecorded', intakeData()))];
}
