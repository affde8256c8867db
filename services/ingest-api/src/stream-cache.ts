import type { DomainEvent } from '@fengcheng/domain';

/** What the write side knows of one stream: its version, its events and their idempotency keys. */
export interface StreamView {
  version: number;
  events: DomainEvent[];
  eventIds: Set<string>;
  /** `system\u0000recordId` of each event sent with a source record. */
  sources: Set<string>;
}

export function sourceKey(source: { system: string; recordId: string }): string {
  return `${source.system}\u0000${source.recordId}`;
}

/** Events of recently written streams kept in memory by default. */
export const DEFAULT_CACHED_EVENTS = 10_000;

/**
 * The streams this process wrote or read lately, least recently used first out, bounded by
 * their total number of events. A view may be stale (another process appended since):
 * that is safe, because every append made from it names the view's version as the
 * expected one, and the store refuses it if the stream moved on.
 */
export class StreamCache {
  private readonly views = new Map<string, StreamView>();
  private size = 0;

  // About 2.5 kB a cached event (an intake with its sealed client fields, the view's sets): 10,000
  // keep the cache near 25 MB. A miss costs one stream read, a fraction of the append it precedes.
  constructor(private readonly maxEvents = DEFAULT_CACHED_EVENTS) {}

  get(streamId: string): StreamView | undefined {
    const view = this.views.get(streamId);
    if (view) {
      this.views.delete(streamId);
      this.views.set(streamId, view);
    }
    return view;
  }

  set(streamId: string, view: StreamView): void {
    this.delete(streamId);
    if (view.events.length > this.maxEvents) return;
    this.views.set(streamId, view);
    this.size += view.events.length;
    for (const [oldest, old] of this.views) {
      if (this.size <= this.maxEvents) break;
      this.views.delete(oldest);
      this.size -= old.events.length;
    }
  }

  /** Adds the events this process has just appended. */
  extend(
    streamId: string,
    base: StreamView,
    appended: DomainEvent[],
    sources: string[],
    version: number,
  ): void {
    this.set(streamId, {
      version,
      events: [...base.events, ...appended],
      eventIds: new Set([...base.eventIds, ...appended.map((event) => event.eventId)]),
      sources: new Set([...base.sources, ...sources]),
    });
  }

  delete(streamId: string): void {
    const view = this.views.get(streamId);
    if (!view) return;
    this.views.delete(streamId);
    this.size -= view.events.length;
  }
}
