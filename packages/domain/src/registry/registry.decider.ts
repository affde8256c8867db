import { toEvent } from '../case/case.decider';
import type { CaseEventType } from '../case/case.events';
import { serviceInstancesOf } from '../counting';
import type { DomainEvent, Envelope, EventType } from '../events';
import {
  agencyOrganisation,
  checkOccurredAt,
  checkOrganisationRegistered,
  checkProjectOf,
  checkWorkerOf,
  type DecideContext,
  registeredWorker,
} from '../shared/decide-context';
import { DomainError } from '../shared/errors';
import { idRecord } from '../shared/id-record';
import type { Certification, WorkerRole } from '../shared/primitives';

/**
 * Commands for the streams other than cases: registrations (organisation, worker,
 * project), group activities, supervision, erasure, and the voiding of an activity entry.
 */
export type OtherCommand =
  | Exclude<Envelope, { type: CaseEventType }>
  | Extract<Envelope, { type: 'EntryVoided' }>;

export type OtherEvent =
  | Exclude<DomainEvent, { type: CaseEventType }>
  | Extract<DomainEvent, { type: 'EntryVoided' }>;

/**
 * What the decider needs to know of an organisation-, worker-, project-, activity- or
 * client-stream's past. Each stream holds one kind of subject, so one shape serves all.
 */
export interface OtherStreamState {
  /** Its subject was registered (organisation, worker, project) or recorded (group activity). */
  registered: boolean;
  /** The organisation's own id, a worker's or a project's organisation. */
  organisationId: string | null;
  worker: { role: WorkerRole; certification: Certification } | null;
  activity: { projectId: string; workerIds: string[]; attendees: number } | null;
  entries: Record<string, { type: EventType; voided: boolean; serviceInstances: number }>;
  /** Sum of `serviceInstancesOf` over the non-voided entries (group activities). */
  serviceInstances: number;
  supervisionMinutes: number;
  erased: boolean;
  version: number;
}

export function initialOtherState(): OtherStreamState {
  return {
    registered: false,
    organisationId: null,
    worker: null,
    activity: null,
    entries: idRecord(),
    serviceInstances: 0,
    supervisionMinutes: 0,
    erased: false,
    version: 0,
  };
}

/** Applies one event of a non-case stream. Never throws. */
export function evolveOther(state: OtherStreamState, event: OtherEvent): OtherStreamState {
  return applyOther(draftOtherOf(state), event);
}

/** A copy whose collections `applyOther` may change in place (entries are replaced, never changed). */
export function draftOtherOf(state: OtherStreamState): OtherStreamState {
  return { ...state, entries: idRecord(state.entries) };
}

/** Applies one event to a draft (see `draftOtherOf`), changing it in place: folds stay linear. */
export function applyOther(s: OtherStreamState, event: OtherEvent): OtherStreamState {
  const counted = serviceInstancesOf(event);
  s.entries[event.eventId] = { type: event.type, voided: false, serviceInstances: counted };
  s.version += 1;
  switch (event.type) {
    case 'OrganisationRegistered':
    case 'ProjectRegistered':
      s.registered = true;
      s.organisationId = event.data.organisationId;
      return s;
    case 'WorkerRegistered':
      s.registered = true;
      s.organisationId = event.data.organisationId;
      s.worker = { role: event.data.role, certification: event.data.certification };
      return s;
    case 'WorkerCertified':
      if (s.worker) s.worker = { ...s.worker, certification: event.data.certification };
      return s;
    case 'SupervisionRecorded':
      s.supervisionMinutes += event.data.minutes;
      return s;
    case 'GroupActivityRecorded':
      s.registered = true;
      s.activity = {
        projectId: event.data.projectId,
        workerIds: [...event.data.workerIds],
        attendees: event.data.attendees,
      };
      s.serviceInstances += counted;
      return s;
    case 'PersonalDataErased':
      s.erased = true;
      return s;
    case 'EntryVoided': {
      const target = s.entries[event.data.targetEventId];
      if (!target || target.voided) return s;
      s.entries[event.data.targetEventId] = { ...target, voided: true };
      s.serviceInstances -= target.serviceInstances;
      return s;
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** Decides a command on a non-case stream; throws a DomainError when a rule is broken. */
export function decideOther(
  command: OtherCommand,
  state: OtherStreamState,
  ctx: DecideContext,
): DomainEvent[] {
  const { actor } = ctx;
  checkRole(command.type, actor.role);
  checkOccurredAt(command.occurredAt, ctx.now);

  switch (command.type) {
    case 'OrganisationRegistered':
      if (state.registered) {
        throw new DomainError(
          'ALREADY_REGISTERED',
          `organisation ${command.data.organisationId} is registered`,
        );
      }
      if (command.data.parentOrganisationId !== undefined) {
        checkOrganisationRegistered(ctx, command.data.parentOrganisationId);
      }
      break;
    case 'ProjectRegistered':
      if (state.registered) {
        throw new DomainError('ALREADY_REGISTERED', `project ${command.data.projectId} is registered`);
      }
      checkOrganisationRegistered(ctx, command.data.organisationId);
      break;
    case 'WorkerRegistered':
      if (actor.role === 'agency' && command.data.organisationId !== agencyOrganisation(actor)) {
        throw new DomainError(
          'NOT_YOUR_ORGANISATION',
          'an agency registers workers of its own organisation only',
        );
      }
      if (state.registered) {
        throw new DomainError('ALREADY_REGISTERED', `worker ${command.data.workerId} is registered`);
      }
      checkOrganisationRegistered(ctx, command.data.organisationId);
      break;
    case 'WorkerCertified': {
      const organisationId = state.registered
        ? state.organisationId
        : (ctx.workers.get(command.data.workerId)?.organisationId ?? null);
      if (organisationId === null) {
        throw new DomainError('WORKER_NOT_REGISTERED', `worker ${command.data.workerId} is not registered`);
      }
      if (actor.role === 'agency' && organisationId !== agencyOrganisation(actor)) {
        throw new DomainError('WORKER_OF_OTHER_ORGANISATION', `worker ${command.data.workerId} is not yours`);
      }
      break;
    }
    case 'GroupActivityRecorded': {
      const organisationId = agencyOrganisation(actor);
      if (state.registered) {
        throw new DomainError(
          'ACTIVITY_ALREADY_RECORDED',
          `activity ${command.data.activityId} was recorded`,
        );
      }
      checkProjectOf(ctx, command.data.projectId, organisationId);
      for (const workerId of command.data.workerIds) checkWorkerOf(ctx, workerId, organisationId);
      break;
    }
    case 'SupervisionRecorded': {
      const organisationId = agencyOrganisation(actor);
      const supervisor = checkWorkerOf(ctx, command.data.supervisorId, organisationId);
      if (supervisor.role !== 'supervisor') {
        throw new DomainError('NOT_A_SUPERVISOR', `worker ${command.data.supervisorId} is not a supervisor`);
      }
      checkWorkerOf(ctx, command.data.superviseeId, organisationId);
      break;
    }
    case 'PersonalDataErased':
      break;
    case 'EntryVoided': {
      const organisationId = agencyOrganisation(actor);
      const target = state.entries[command.data.targetEventId];
      if (!target) {
        throw new DomainError(
          'ENTRY_NOT_FOUND',
          `event ${command.data.targetEventId} is not in this activity`,
        );
      }
      if (target.type !== 'GroupActivityRecorded') {
        throw new DomainError('ENTRY_NOT_VOIDABLE', `${target.type} cannot be voided`);
      }
      if (target.voided) throw new DomainError('ENTRY_ALREADY_VOIDED');
      // The activity belongs to the organisation of the workers who ran it.
      for (const workerId of state.activity?.workerIds ?? []) {
        if (registeredWorker(ctx, workerId).organisationId !== organisationId) {
          throw new DomainError('NOT_YOUR_ORGANISATION', 'the activity was run by another organisation');
        }
      }
      break;
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
  return [toEvent(command)];
}

/** Which roles may record each kind of non-case fact. */
const ROLES: Record<OtherCommand['type'], ReadonlyArray<'agency' | 'admin'>> = {
  OrganisationRegistered: ['admin'],
  ProjectRegistered: ['admin'],
  WorkerRegistered: ['admin', 'agency'],
  WorkerCertified: ['admin', 'agency'],
  GroupActivityRecorded: ['agency'],
  SupervisionRecorded: ['agency'],
  PersonalDataErased: ['admin'],
  EntryVoided: ['agency'],
};

function checkRole(type: OtherCommand['type'], role: DecideContext['actor']['role']): void {
  if (!(ROLES[type] as readonly string[]).includes(role)) {
    throw new DomainError('FORBIDDEN_ROLE', `the ${role} role may not record ${type}`);
  }
}
