import { describe, expect, it } from 'vitest';
import { LookupBatch, type LookupKeys } from './lookup-batch';
import type { Row } from './sql-client';

/** A stored row as the lookup answers it, for the event `id` (and its source record, if any). */
const row = (id: string, source?: [string, string]): Row => [
  `{"eventId":"${id}"}`,
  1,
  1n,
  source?.[0] ?? null,
  source?.[1] ?? null,
  1,
  id,
];

describe('LookupBatch', () => {
  it('sends the lookups that wait while one is out as one, and gives each only its own rows', async () => {
    const sent: LookupKeys[] = [];
    let release: () => void = () => {};
    const batch = new LookupBatch(async (keys) => {
      sent.push(keys);
      if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return [row('a'), row('B'), row('c', ['casebook', 'r-3']), row('x')];
    });
    const first = batch.find({ ids: ['a'], sources: [] });
    const second = batch.find({ ids: ['b'], sources: [] });
    const third = batch.find({ ids: ['zz'], sources: [{ system: 'casebook', recordId: 'r-3' }] });
    release();
    expect((await first).map((r) => r[6])).toEqual(['a']);
    // Ids compare without regard to case (a UUID comes back lower-case).
    expect((await second).map((r) => r[6])).toEqual(['B']);
    expect((await third).map((r) => r[6])).toEqual(['c']);
    expect(sent).toEqual([
      { ids: ['a'], sources: [] },
      { ids: ['b', 'zz'], sources: [{ system: 'casebook', recordId: 'r-3' }] },
    ]);
  });

  it('fails the lookups of a failed statement, and goes on with the next', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const batch = new LookupBatch(async () => {
      calls++;
      if (calls === 1) {
        await new Promise<void>((resolve) => (release = resolve));
        throw new Error('connection lost');
      }
      return [row('b')];
    });
    const first = batch.find({ ids: ['a'], sources: [] });
    const second = batch.find({ ids: ['b'], sources: [] });
    release();
    await expect(first).rejects.toThrow('connection lost');
    expect((await second).map((r) => r[6])).toEqual(['b']);
  });
});
