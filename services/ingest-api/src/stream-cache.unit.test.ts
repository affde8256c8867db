import { initialStreamState } from '@fengcheng/domain';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHED_EVENTS, StreamCache, type StreamView } from './stream-cache';

function view(events: number): StreamView {
  return { version: events, state: initialStreamState(), client: null, sources: new Set() };
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
    // A stream that grows replaces its view and counts its new size.
    cache.set('c', view(4));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.version).toBe(4);
    cache.set('d', view(1));
    expect(cache.get('c')?.version).toBe(4);
    expect(cache.get('d')?.version).toBe(1);
  });

  it('does not keep a stream larger than the whole budget, and holds 10,000 events by default', () => {
    const cache = new StreamCache(3);
    cache.set('big', view(4));
    expect(cache.get('big')).toBeUndefined();
    // A stream that outgrows the budget loses the view it had: it must not be decided on a stale one.
    cache.set('grown', view(2));
    cache.set('grown', view(4));
    expect(cache.get('grown')).toBeUndefined();
    expect(DEFAULT_CACHED_EVENTS).toBe(10_000);
  });

  it('counts an empty stream as one, so views of empty streams are bounded too', () => {
    const cache = new StreamCache(3);
    for (const id of ['a', 'b', 'c', 'd']) cache.set(id, view(0));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')?.version).toBe(0);
  });
});
