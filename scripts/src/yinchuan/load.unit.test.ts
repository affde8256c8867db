import { describe, expect, it } from 'vitest';
import { loadYinchuan } from './load';

describe('loadYinchuan', () => {
  it('refuses an organisation the dataset does not have, before posting anything', async () => {
    const posted: string[] = [];
    await expect(
      loadYinchuan({
        post: async (path) => {
          posted.push(path);
          return { status: 200, body: { results: [] } };
        },
        adminKey: 'unused',
        organisations: ['station-640105003', 'station-999999999'],
      }),
    ).rejects.toThrow(/no organisation station-999999999 in the Yinchuan dataset/);
    expect(posted).toEqual([]);
  });
});
