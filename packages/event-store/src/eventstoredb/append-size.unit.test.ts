import { describe, expect, it } from 'vitest';
import { appendSize, DEFAULT_MAX_APPEND_SIZE, recordSize } from './append-size';

describe('append size', () => {
  it('counts data and metadata in UTF-8 bytes and the type at two bytes a character, as the server does', () => {
    // {"notes":"服务"} is 14 characters and 18 bytes; {} is 2; the type 'T' counts 2.
    expect(recordSize({ type: 'T', data: { notes: '服务' }, metadata: {} })).toBe(22);
    expect(recordSize({ type: 'VisitRecorded', data: {} })).toBe(2 + 26);
  });

  it('sums an append, counting Chinese text at three bytes a character', () => {
    // {"notes":"…"} with 8,000 Chinese characters: 8,012 UTF-16 code units, 24,012 bytes.
    const data = { notes: '服务对象情况良好'.repeat(1000) };
    const records = [1, 2].map(() => ({ type: 'VisitRecorded', data, metadata: { fc: 1 } }));
    expect(appendSize(records)).toBe(2 * (24_012 + '{"fc":1}'.length + 26));
  });

  it("defaults to the server's own default of 1 MiB", () => {
    expect(DEFAULT_MAX_APPEND_SIZE).toBe(1_048_576);
  });
});
