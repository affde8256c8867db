import type { DomainEvent } from '@fengcheng/domain';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHED_EVENTS, StreamCache, type StreamView } from './stream-cache';

function view(events: number): StreamView {
  const list = Array.from({ length: events }, (_, i) => ({ eventId: `e${i}` }) as unknown as DomainEvent);
  return { version: events, events: list, eventIds: new Set(list.map((e) => e.eventId)), sources: new Set() };
}

describe('the stream cache', () => {
  it('keeps at most its budget of events, dropping the least recently used stream first', () => {
    const cache = new StreamCache(5);
    cache.set('a', view(2));
    cache.set('b', view(2));
    expect(cache.get('a')?.version).toBe(2);
    cache.set('c', view(2));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.version).toBe(2);
    expect(cache.get('c')?.version).toBe(2);
    cache.extend('c', view(2), [{ eventId: 'x' }, { eventId: 'y' }] as unknown as DomainEvent[], [], 4);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.eventIds.has('x')).toBe(true);
  });

  it('does not keep a stream larger than the whole budget, and holds 10,000 events by default', () => {
    const cache = new StreamCache(3);
    cache.set('big', view(4));
    expect(cache.get('big')).toBeUndefined();
    expect(DEFAULT_CACHED_EVENTS).toBe(10_000);
  });
});
