import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptField, encryptField, FIELD_SCHEME, isEncryptedField } from './field-crypto';

const key = Buffer.alloc(32, 7);
const eventId = '0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('field encryption', () => {
  it('round-trips and tags the envelope with its scheme', () => {
    const field = encryptField(key, eventId, 'client.name', '海秀英');
    expect(field.enc).toBe(FIELD_SCHEME);
    expect(Buffer.from(field.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(field.tag, 'base64')).toHaveLength(16);
    expect(isEncryptedField(field)).toBe(true);
    expect(JSON.stringify(field)).not.toContain('海秀英');
    expect(decryptField(key, eventId, 'client.name', field)).toBe('海秀英');
  });

  it('is deterministic for the same event, path and plaintext (a retry is byte-identical)', () => {
    expect(encryptField(key, eventId, 'notes', 'x')).toEqual(encryptField(key, eventId, 'notes', 'x'));
  });

  it('never reuses an IV for a different plaintext, path or event', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(encryptField(key, eventId, 'notes', a).iv).not.toBe(encryptField(key, eventId, 'notes', b).iv);
      }),
      { numRuns: 200 },
    );
    const base = encryptField(key, eventId, 'notes', 'same');
    expect(encryptField(key, eventId, 'summary', 'same').iv).not.toBe(base.iv);
    expect(encryptField(key, '1d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'notes', 'same').iv).not.toBe(base.iv);
  });

  it('refuses another key, another event, another path and altered bytes', () => {
    const field = encryptField(key, eventId, 'notes', '老人情绪平稳');
    expect(() => decryptField(randomBytes(32), eventId, 'notes', field)).toThrow();
    expect(() => decryptField(key, '1d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'notes', field)).toThrow();
    expect(() => decryptField(key, eventId, 'summary', field)).toThrow();
    const ct = Buffer.from(field.ct, 'base64');
    ct[0] = ct[0]! ^ 1;
    expect(() => decryptField(key, eventId, 'notes', { ...field, ct: ct.toString('base64') })).toThrow();
  });

  it('tells envelopes from other values', () => {
    expect(isEncryptedField('text')).toBe(false);
    expect(isEncryptedField(null)).toBe(false);
    expect(isEncryptedField({ enc: 'rot13', iv: '', ct: '', tag: '' })).toBe(false);
    expect(isEncryptedField({ enc: FIELD_SCHEME, iv: 'a', ct: 'b' })).toBe(false);
  });
});
