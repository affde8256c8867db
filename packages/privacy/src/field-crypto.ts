import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/** The algorithm tag of every encrypted field; a new scheme gets a new tag, old ones stay readable. */
export const FIELD_SCHEME = 'aes-256-gcm/v1';

/** A personal field as it is stored in an event: AES-256-GCM under the client's data key. */
export interface EncryptedField {
  enc: typeof FIELD_SCHEME;
  /** base64 */
  iv: string;
  ct: string;
  tag: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export function isEncryptedField(value: unknown): value is EncryptedField {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.enc === FIELD_SCHEME &&
    typeof v.iv === 'string' &&
    typeof v.ct === 'string' &&
    typeof v.tag === 'string'
  );
}

// The event (its id, or its source record) and the field path are bound as associated
// data, so a ciphertext copied into another event or field does not decrypt there.
function associatedData(context: string, fieldPath: string): Buffer {
  return Buffer.from(`fengcheng/field/v1\u0000${context}\u0000${fieldPath}`, 'utf8');
}

/**
 * Encrypts one field. The IV is synthetic — HMAC-SHA256(dataKey, context ‖ path ‖ plaintext),
 * first 12 bytes — so a retried post encrypts to the same bytes (the store's idempotency
 * fingerprint holds) while a different plaintext gets a different IV (no IV reuse under GCM).
 * `context` is the event id, or the sender's source record when there is one.
 * See docs/adr/0004-personal-data-encryption.md.
 */
export function encryptField(
  dataKey: Buffer,
  context: string,
  fieldPath: string,
  plaintext: string,
): EncryptedField {
  if (dataKey.length !== KEY_BYTES) throw new Error('a data key is 32 bytes');
  const iv = createHmac('sha256', dataKey)
    .update(`${context}\u0000${fieldPath}\u0000`, 'utf8')
    .update(plaintext, 'utf8')
    .digest()
    .subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context, fieldPath));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    enc: FIELD_SCHEME,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Decrypts one field; throws when the key, event, path or bytes do not match. */
export function decryptField(
  dataKey: Buffer,
  context: string,
  fieldPath: string,
  field: EncryptedField,
): string {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(field.iv, 'base64'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(associatedData(context, fieldPath));
  decipher.setAuthTag(Buffer.from(field.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(field.ct, 'base64')), decipher.final()]).toString('utf8');
}
