import { randomBytes } from 'node:crypto';
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
});
