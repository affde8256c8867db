import { DomainError } from './errors';
import type { Certification, WorkerRole } from './primitives';

/** Who sends a command: the role and organisation of the API key. */
export interface Actor {
  role: 'agency' | 'analyst' | 'reviewer' | 'admin';
  organisationId?: string | undefined;
  keyId?: string | undefined;
}

export interface WorkerInfo {
  organisationId: string;
  role: WorkerRole;
  certification: Certification;
}

/**
 * Everything a decider needs beyond the stream's own past: the clock, the sender, and the
 * registrations the command names (see `referencedIds`). The caller looks these up; the
 * deciders stay pure.
 */
export interface DecideContext {
  now: Date;
  actor: Actor;
  /** The registered workers this command names. */
  workers: ReadonlyMap<string, WorkerInfo>;
  projects: ReadonlyMap<string, { organisationId: string }>;
  /** Registered organisation ids this command names. */
  organisations: ReadonlySet<string>;
}

/** How far ahead of the server's clock a sender's clock may run. */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * The earliest occurredAt any fact may have: 2000-01-01 in China Standard Time, years before
 * community social work was recorded anywhere. An earlier date is a typo (0226 for 2026), and
 * one outside the years 1-9999 was more: the projector could not store it and stopped on it.
 */
export const EARLIEST_OCCURRED_AT = '2000-01-01T00:00:00+08:00';
const EARLIEST_MS = Date.parse(EARLIEST_OCCURRED_AT);

/** occurredAt is neither before EARLIEST_OCCURRED_AT nor more than 5 minutes ahead of `now`; its instant (ms). */
export function checkOccurredAt(occurredAt: string, now: Date): number {
  const at = Date.parse(occurredAt);
  if (at - now.getTime() > FUTURE_TOLERANCE_MS) {
    throw new DomainError(
      'OCCURRED_IN_FUTURE',
      `occurredAt ${occurredAt} is after ${now.toISOString()} + 5 min`,
    );
  }
  if (!(at >= EARLIEST_MS)) {
    throw new DomainError('OCCURRED_TOO_EARLY', `occurredAt ${occurredAt} is before ${EARLIEST_OCCURRED_AT}`);
  }
  return at;
}

/** The registered worker, or WORKER_NOT_REGISTERED. */
export function registeredWorker(ctx: DecideContext, workerId: string): WorkerInfo {
  const worker = ctx.workers.get(workerId);
  if (!worker) throw new DomainError('WORKER_NOT_REGISTERED', `worker ${workerId} is not registered`);
  return worker;
}

/** A worker acts only for its own organisation. */
export function checkWorkerOf(ctx: DecideContext, workerId: string, organisationId: string): WorkerInfo {
  const worker = registeredWorker(ctx, workerId);
  if (worker.organisationId !== organisationId) {
    throw new DomainError(
      'WORKER_OF_OTHER_ORGANISATION',
      `worker ${workerId} belongs to another organisation than ${organisationId}`,
    );
  }
  return worker;
}

/** A registered project run by `organisationId`: an agency records work only under its own projects. */
export function checkProjectOf(ctx: DecideContext, projectId: string, organisationId: string): void {
  const project = ctx.projects.get(projectId);
  if (!project) throw new DomainError('PROJECT_NOT_REGISTERED', `project ${projectId} is not registered`);
  if (project.organisationId !== organisationId) {
    throw new DomainError(
      'PROJECT_OF_OTHER_ORGANISATION',
      `project ${projectId} is run by another organisation than ${organisationId}`,
    );
  }
}

export function checkOrganisationRegistered(ctx: DecideContext, organisationId: string): void {
  if (!ctx.organisations.has(organisationId)) {
    throw new DomainError('ORGANISATION_NOT_REGISTERED', `organisation ${organisationId} is not registered`);
  }
}

/** The organisation of an agency actor; an agency key without one acts for nobody. */
export function agencyOrganisation(actor: Actor): string {
  if (actor.role !== 'agency') {
    throw new DomainError('FORBIDDEN_ROLE', `the ${actor.role} role may not record this`);
  }
  if (!actor.organisationId) {
    throw new DomainError('NOT_YOUR_ORGANISATION', 'the agency key is bound to no organisation');
  }
  return actor.organisationId;
}

/** The calendar day of `now` in China Standard Time (UTC+8), as YYYY-MM-DD. */
export function cstDay(now: Date): string {
  return new Date(now.getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10);
}
