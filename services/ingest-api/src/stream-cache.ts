import type { StreamState } from '@fengcheng/domain';
import type { ClientId } from '@fengcheng/privacy';
import { LRUCache } from 'lru-cache';

/**
 * What the write side knows of one stream: its version, its events folded for the deciders,
 * its case's client and its source-record keys. Never changed once made: an append makes a
 * new view (from a draft of the state), so a decision on a view can never leak into it.
 */
export interface StreamView {
  /** The stream's version, which is also its number of events. */
  version: number;
  state: StreamState;
  /** The client of the case's intake (whose key seals personal fields); null before it, and off cases. */
  client: ClientId | null;
  /** `system\u0000recordId` of each event sent with a source record. */
  sources: ReadonlySet<string>;
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
 *
 * A stream is kept from its second write on (recordStream): the one a write creates is not.
 * Most new streams get nothing more for a long while (a single POST of an intake, a batch's
 * new cases), and every view kept outlives a few young collections: at 5,000 new cases a
 * second the views of new cases were most of what the ingest API promoted to its old
 * generation, whose collections every 0.8 s set its p99. A second write reads the stream
 * once (a one-event case here), and loading Yinchuan ×1 took as long without any cache.
 */
export class StreamCache {
  // lru-cache, not a Map in insertion order: a Map finds its oldest entry by scanning past the
  // holes its deletions left at the front, which cost 12-14 µs a set at 10,000 streams (1.0-1.6 µs here).
  private readonly views: LRUCache<string, StreamView>;

  // The kept state costs about 1.6 kB for a one-event case (the state's own fields) and 0.2-0.4 kB
  // an event in cases of 10-100 events: 10,000 events keep the cache between 2 and 16 MB (the events
  // themselves, kept before, took ~2.5 kB each). A miss costs one stream read, a fraction of the append it precedes.
  constructor(maxEvents = DEFAULT_CACHED_EVENTS) {
    // A view counts its events, and an empty stream's view one, so the budget bounds the views too.
    this.views = new LRUCache({ maxSize: maxEvents, sizeCalculation: (view) => Math.max(1, view.version) });
  }

  get(streamId: string): StreamView | undefined {
    return this.views.get(streamId);
  }

  /** Keeps `view` as the stream's newest; a stream larger than the whole budget is not kept. */
  set(streamId: string, view: StreamView): void {
    this.views.set(streamId, view);
  }

  delete(streamId: string): void {
    this.views.delete(streamId);
  }
}
