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
