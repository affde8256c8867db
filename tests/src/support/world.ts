import { randomUUID } from 'node:crypto';
import type { Client, TestServer } from './server';

/** An occurredAt `days` (fractional) before now, in China Standard Time. */
export function daysAgo(days: number): string {
  const ms = Date.now() - days * 86_400_000;
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

export interface Posted {
  eventId: string;
  streamId: string;
  version: number;
  position: string;
}

/** Posts one envelope and insists on 201; returns the write's answer. */
export async function post(api: Client, envelope: Record<string, unknown>): Promise<Posted> {
  const response = await api.post<Posted>('/v1/events', envelope);
  if (response.status !== 201) {
    throw new Error(`${String(envelope.type)} answered ${response.status}: ${response.text}`);
  }
  return response.body;
}

export function envelope(
  type: string,
  data: Record<string, unknown>,
  options: { caseId?: string; occurredAt?: string; expectedVersion?: number; eventId?: string } = {},
) {
  return {
    eventId: options.eventId ?? randomUUID(),
    type,
    ...(options.caseId ? { caseId: options.caseId } : {}),
    occurredAt: options.occurredAt ?? daysAgo(0.01),
    ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}),
    data,
  };
}

/**
 * Two agencies (A runs project P in 兴庆区, B in 西夏区), their workers, and a key for
 * every role — all registered over HTTP as an administrator and the agencies would.
 */
export async function buildWorld(server: TestServer, suffix = randomUUID().slice(0, 8)) {
  const orgA = `org-a-${suffix}`;
  const orgB = `org-b-${suffix}`;
  const projectP = `proj-p-${suffix}`;
  const workerA = `wa-${suffix}`;
  const supervisorA = `wa-sup-${suffix}`;
  const workerB = `wb-${suffix}`;
  const admin = server.as(server.adminKey);
  await post(
    admin,
    envelope('OrganisationRegistered', {
      organisationId: orgA,
      name: '春熙社会工作服务中心',
      kind: 'hub',
      regionCode: '640104000000',
    }),
  );
  await post(
    admin,
    envelope('OrganisationRegistered', {
      organisationId: orgB,
      name: '美林社会工作服务中心',
      kind: 'hub',
      regionCode: '640105000000',
    }),
  );
  await post(
    admin,
    envelope('ProjectRegistered', {
      projectId: projectP,
      organisationId: orgA,
      name: '牵手夕阳红',
      brand: '牵手夕阳红',
      fundingSource: 'venture_philanthropy',
      regionCode: '640104000000',
      targetGroups: ['elderly'],
    }),
  );
  const keys = {
    agencyA: await server.issueKey('agency', orgA),
    agencyB: await server.issueKey('agency', orgB),
    analyst: await server.issueKey('analyst'),
    reviewer: await server.issueKey('reviewer'),
  };
  const agencyA = server.as(keys.agencyA);
  const agencyB = server.as(keys.agencyB);
  await post(
    agencyA,
    envelope('WorkerRegistered', {
      workerId: workerA,
      organisationId: orgA,
      certification: 'junior',
      role: 'frontline',
    }),
  );
  await post(
    agencyA,
    envelope('WorkerRegistered', {
      workerId: supervisorA,
      organisationId: orgA,
      certification: 'senior',
      role: 'supervisor',
    }),
  );
  const last = await post(
    agencyB,
    envelope('WorkerRegistered', {
      workerId: workerB,
      organisationId: orgB,
      certification: 'intermediate',
      role: 'frontline',
    }),
  );
  return {
    ids: { orgA, orgB, projectP, workerA, supervisorA, workerB },
    keys,
    admin,
    agencyA,
    agencyB,
    analyst: server.as(keys.analyst),
    reviewer: server.as(keys.reviewer),
    lastPosition: last.position,
  };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;

/** The personal data a test client carries: none of it may reach an analyst. */
export const CLIENT = {
  clientRef: 'e2e-client-0001',
  name: '海秀英',
  idNumber: '64010419480315001X',
  phone: '139 9510 4242',
  address: '兴庆区胜利街上前社区某巷 8 号',
  birthYear: 1948,
  gender: 'female',
} as const;
