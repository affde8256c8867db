import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_ENV = 'FENGCHENG_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;

/** Parses a master key given as base64 of 32 bytes; the error names the variable, never the value. */
export function parseMasterKey(text: string, source = MASTER_KEY_ENV): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${source} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`,
    );
  }
  return key;
}

/** A fresh master key, as base64. */
export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * The embedded mode's master key: `<dataDir>/master.key`, made (mode 0600) on the first run
 * and read on later runs. `created` tells the caller to say so at start.
 */
export function loadOrCreateMasterKeyFile(dataDir: string): { key: Buffer; path: string; created: boolean } {
  const path = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(path)) {
    // Someone may have copied the folder with looser permissions; the key is owner-only.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key: parseMasterKey(readFileSync(path, 'utf8'), path), path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const text = generateMasterKey();
  // 'wx': two processes starting at once must not overwrite each other's key.
  writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { key: Buffer.from(text, 'base64'), path, created: true };
}
