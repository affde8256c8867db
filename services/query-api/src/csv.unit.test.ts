import { describe, expect, it } from 'vitest';
import { csvField, flattenRow, toCsv } from './csv';

describe('csv', () => {
  it('quotes fields with commas, quotes and line breaks, and nothing else', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(42)).toBe('42');
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes a BOM, a header row and CRLF-ended rows in column order', () => {
    const csv = toCsv([
      { key: '640104', serviceInstances: 3 },
      { key: '牵手夕阳红, 兴庆', serviceInstances: 12 },
    ]);
    expect(csv).toBe('\uFEFFkey,serviceInstances\r\n640104,3\r\n"牵手夕阳红, 兴庆",12\r\n');
  });

  it('writes the header alone when there are no rows', () => {
    expect(toCsv([], ['key', 'serviceInstances'])).toBe('\uFEFFkey,serviceInstances\r\n');
  });

  it('flattens nested figures into dotted columns and joins scalar arrays', () => {
    expect(flattenRow({ id: 'p1', closed: { moved: 1, deceased: 0 }, groups: ['elderly', 'child'] })).toEqual(
      {
        id: 'p1',
        'closed.moved': 1,
        'closed.deceased': 0,
        groups: 'elderly;child',
      },
    );
    expect(toCsv([{ a: 1 }, { a: 2, b: 'x' }])).toBe('\uFEFFa,b\r\n1,\r\n2,x\r\n');
  });
});
