import type { Envelope } from './events';

/**
 * Stream naming (docs/adr/0002-stream-naming.md): one stream per case, organisation,
 * worker, project, group activity and client. The prefix before the first '-' is the
 * category; the rest is the sender's id.
 */
export const streamIds = {
  case: (caseId: string) => `case-${caseId}`,
  organisation: (organisationId: string) => `organisation-${organisationId}`,
  worker: (workerId: string) => `worker-${workerId}`,
  project: (projectId: string) => `project-${projectId}`,
  activity: (activityId: string) => `activity-${activityId}`,
  client: (organisationId: string, clientRef: string) => `client-${organisationId}.${clientRef}`,
} as const;

export type StreamCategory = keyof typeof streamIds;

export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}

/**
 * The stream an envelope is appended to. An `EntryVoided` without a `caseId` voids an
 * entry of the group activity named by its `data.activityId`.
 */
export function streamIdFor(envelope: Envelope): string {
  if (envelope.caseId) return streamIds.case(envelope.caseId);
  switch (envelope.type) {
    case 'OrganisationRegistered':
      return streamIds.organisation(envelope.data.organisationId);
    case 'WorkerRegistered':
    case 'WorkerCertified':
      return streamIds.worker(envelope.data.workerId);
    case 'SupervisionRecorded':
      return streamIds.worker(envelope.data.superviseeId);
    case 'ProjectRegistered':
      return streamIds.project(envelope.data.projectId);
    case 'GroupActivityRecorded':
      return streamIds.activity(envelope.data.activityId);
    case 'EntryVoided':
      if (!envelope.data.activityId) throw new Error('EntryVoided needs a caseId or an activityId');
      return streamIds.activity(envelope.data.activityId);
    case 'PersonalDataErased':
      return streamIds.client(envelope.data.organisationId, envelope.data.clientRef);
    default:
      throw new Error(`${envelope.type} needs a caseId`);
  }
}
