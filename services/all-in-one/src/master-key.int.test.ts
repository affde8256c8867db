import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@fengcheng/platform';
import { KeyVault } from '@fengcheng/privacy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAllInOne } from './all-in-one';

/** Where the embedded mode's master key comes from, and when a missing one stops the boot. */
describe('the master key of the all-in-one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fengcheng-master-'));
  // This file is about the embedded mode: the runner's server and key must not leak in.
  const saved = { key: process.env.FENGCHENG_MASTER_KEY, url: process.env.DATABASE_URL };
  const lines: string[] = [];
  const logger = createLogger(
    { name: 'master-key-test', level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const start = (options: Parameters<typeof startAllInOne>[0] = {}) =>
    startAllInOne({
      port: 0,
      host: '127.0.0.1',
      demo: false,
      dataDir: dir,
      adminKey: 'master-key-test-admin-key-0123456789',
      logger,
      ...options,
    });

  beforeAll(() => {
    delete process.env.FENGCHENG_MASTER_KEY;
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    if (saved.key !== undefined) process.env.FENGCHENG_MASTER_KEY = saved.key;
    if (saved.url !== undefined) process.env.DATABASE_URL = saved.url;
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates <dataDir>/master.key (0600) on the first run, says so, and reuses it later', async () => {
    const first = await start();
    const path = join(dir, 'master.key');
    try {
      expect(first.masterKeySource).toEqual({ kind: 'file', path, created: true });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);
      const said = lines.find((line) => line.includes('a master key was generated into the data folder'));
      expect(said).toContain(path);
    } finally {
      await first.stop();
    }
    const key = readFileSync(path, 'utf8');
    const second = await start();
    try {
      expect(second.masterKeySource).toEqual({ kind: 'file', path, created: false });
      expect(readFileSync(path, 'utf8')).toBe(key);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('refuses a configured key that is not the one the stored data keys were made with', async () => {
    // The folder's database has data keys only once a client was seen; make one.
    const running = await start();
    try {
      const vault = await KeyVault.open(
        running.database,
        Buffer.from(readFileSync(join(dir, 'master.key'), 'utf8').trim(), 'base64'),
      );
      await vault.keyForWriting({ organisationId: 'o', clientRef: 'c' });
    } finally {
      await running.stop();
    }
    await expect(start({ masterKey: Buffer.alloc(32, 1).toString('base64') })).rejects.toThrow(
      'FENGCHENG_MASTER_KEY does not unwrap the data keys stored in this database',
    );
  }, 120_000);

  it('fails at boot on a server without a master key, naming the variable', async () => {
    await expect(start({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' })).rejects.toThrow(
      'FENGCHENG_MASTER_KEY is required with DATABASE_URL',
    );
    await expect(start({ masterKey: 'c2hvcnQ=' })).rejects.toThrow(
      'FENGCHENG_MASTER_KEY must be 32 random bytes in base64',
    );
  });
});
