import { randomBytes, randomUUID } from 'node:crypto';
import type { EventType } from '@fengcheng/domain';
import type { EventStore, RecordedEvent } from '@fengcheng/event-store';

/** Builds recorded events by hand, with positions, versions and hashes as a store would give them. */
export class EventLog {
  readonly events: RecordedEvent[] = [];
  private position = 0n;
  private readonly versions = new Map<string, number>();

  add(
    streamId: string,
    type: EventType,
    occurredAt: string,
    data: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): RecordedEvent {
    this.position += 1n;
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    const event: RecordedEvent = {
      eventId: randomUUID(),
      streamId,
      version,
      position: this.position,
      type,
      occurredAt,
      recordedAt: new Date().toISOString(),
      data,
      metadata,
      source: null,
      prevHash: this.events.findLast((e) => e.streamId === streamId)?.hash ?? '0'.repeat(64),
      hash: randomBytes(32).toString('hex'),
    };
    this.events.push(event);
    return event;
  }

  /**
   * Registers an organisation (a hub in 兴庆区), its frontline workers and its projects, as of
   * 1 February 2026, each recorded by the organisation's key.
   */
  register(organisationId: string, with_: { workers?: string[]; projects?: string[] } = {}): void {
    const at = '2026-02-01T09:00:00+08:00';
    const meta = { organisationId, keyId: 'k1' };
    const organisation = { organisationId, name: organisationId, kind: 'hub', regionCode: '640104000000' };
    this.add(`organisation-${organisationId}`, 'OrganisationRegistered', at, organisation, meta);
    for (const workerId of with_.workers ?? []) {
      const worker = { workerId, organisationId, certification: 'junior', role: 'frontline' };
      this.add(`worker-${workerId}`, 'WorkerRegistered', at, worker, meta);
    }
    for (const projectId of with_.projects ?? []) {
      const project = { projectId, organisationId, name: projectId, fundingSource: 'other' };
      this.add(`project-${projectId}`, 'ProjectRegistered', at, project, meta);
    }
  }

  /** Events added since `mark` (a length of `events` taken earlier). */
  since(mark: number): RecordedEvent[] {
    return this.events.slice(mark);
  }
}

/** Appends hand-built events to a real store, one append per event, in order. */
export async function appendAll(store: EventStore, events: RecordedEvent[]): Promise<bigint> {
  let last = 0n;
  for (const e of events) {
    const result = await store.append(e.streamId, [
      { eventId: e.eventId, type: e.type, occurredAt: e.occurredAt, data: e.data, metadata: e.metadata },
    ]);
    last = result.events.at(-1)?.position ?? last;
  }
  return last;
}
