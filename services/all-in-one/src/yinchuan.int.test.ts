import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@fengcheng/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAllInOne } from './all-in-one';
import { loadYinchuanInto } from './yinchuan';

describe('npm start -- --yinchuan on a data folder that already holds events', () => {
  // The embedded mode, whatever server the runner has.
  const saved = process.env.DATABASE_URL;
  beforeAll(() => {
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  });

  it('tells the dataset’s service instances from those already there, and a second load appends nothing', async () => {
    const running = await startAllInOne({
      port: 0,
      host: '127.0.0.1',
      dataDir: 'memory://',
      demo: true,
      adminKey: 'yinchuan-test-admin-key-0123456789',
      masterKey: randomBytes(32).toString('base64'),
      logger: createLogger({ name: 'yinchuan-test', level: 'silent' }),
    });
    try {
      expect(running.demo?.events).toBeGreaterThan(0);
      // One township station's slice: every registration, then that station's cases.
      const options = { scale: 1, organisations: ['station-640105003'] };
      const first = await loadYinchuanInto(running, options);
      expect(first.rejected).toBe(0);
      expect(first.expectedServiceInstances).toBeGreaterThan(0);
      expect(first.serviceInstancesBefore).toBeGreaterThan(0);
      expect(first.serviceInstances).toBe(first.serviceInstancesBefore + first.expectedServiceInstances);

      const head = await running.store.headPosition();
      const second = await loadYinchuanInto(running, options);
      expect(second.rejected).toBe(0);
      expect(second.serviceInstancesBefore).toBe(first.serviceInstances);
      expect(second.serviceInstances).toBe(first.serviceInstances);
      // Every event was answered as a replay: the ledger did not grow.
      expect(await running.store.headPosition()).toBe(head);
    } finally {
      await running.stop();
    }
  }, 120_000);

  it('`yinchuan load` checks what its load added, not the whole total: on a ledger holding the demo, and again as all replays', async () => {
    const adminKey = 'yinchuan-cli-test-admin-key-0123456789';
    const running = await startAllInOne({
      port: 0,
      host: '127.0.0.1',
      dataDir: 'memory://',
      demo: true,
      adminKey,
      masterKey: randomBytes(32).toString('base64'),
      logger: createLogger({ name: 'yinchuan-cli-test', level: 'silent' }),
    });
    const cli = join(dirname(fileURLToPath(import.meta.url)), '../../../scripts/src/yinchuan/cli.ts');
    const load = async () => {
      const run = spawn(
        process.execPath,
        ['--import', 'tsx', cli, 'load', '--url', running.url, '--organisations', 'station-640105003'],
        { env: { ...process.env, FENGCHENG_ADMIN_KEY: adminKey }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      run.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      run.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const status = await new Promise<number | null>((resolve) => run.once('exit', resolve));
      const said = stdout.match(
        /analyst total: (\d+) service instances, (-?\d+) of them this load's \(the dataset has (\d+)/,
      );
      expect(said, `${stdout}\n${stderr}`).not.toBeNull();
      const [total, added, expected] = said!.slice(1).map(Number) as [number, number, number];
      return { status, stdout, total, added, expected };
    };
    try {
      const first = await load();
      expect(first.status, first.stdout).toBe(0);
      expect(first.stdout).toContain('100 were there before'); // the demo's
      expect(first.added).toBe(first.expected);
      expect(first.total).toBe(100 + first.expected);
      // Loaded again: every event a replay, nothing added, and that is right.
      const second = await load();
      expect(second.status, second.stdout).toBe(0);
      expect(second.added).toBe(0);
      expect(second.total).toBe(first.total);
      expect(second.stdout).toContain('so the load adds 0');
    } finally {
      await running.stop();
    }
  }, 180_000);
});
