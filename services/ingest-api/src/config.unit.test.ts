import { describe, expect, it } from 'vitest';
import { loadConfig, REQUIRED_ENV } from './config';

const URL = 'postgres://postgres@127.0.0.1:5432/fengcheng';
const MASTER = Buffer.alloc(32, 3).toString('base64');
const BASE = { DATABASE_URL: URL, FENGCHENG_MASTER_KEY: MASTER };

describe('ingest-api config', () => {
  it('needs only DATABASE_URL and FENGCHENG_MASTER_KEY and fills in the rest', () => {
    expect(REQUIRED_ENV).toEqual(['DATABASE_URL', 'FENGCHENG_MASTER_KEY']);
    const config = loadConfig(BASE);
    expect(config).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: URL,
      eventStoreUrl: undefined,
      adminKey: undefined,
      masterKey: Buffer.alloc(32, 3),
      rateLimit: { max: 600_000, timeWindowMs: 60_000 },
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a missing DATABASE_URL', () => {
    expect(() => loadConfig({ FENGCHENG_MASTER_KEY: MASTER })).toThrow(
      'invalid configuration: DATABASE_URL is required',
    );
  });

  it('names a missing or malformed FENGCHENG_MASTER_KEY without echoing it', () => {
    expect(() => loadConfig({ DATABASE_URL: URL })).toThrow(
      'invalid configuration: FENGCHENG_MASTER_KEY is required',
    );
    const bad = Buffer.alloc(16, 1).toString('base64');
    let message = '';
    try {
      loadConfig({ ...BASE, FENGCHENG_MASTER_KEY: bad });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('FENGCHENG_MASTER_KEY must be 32 random bytes in base64');
    expect(message).not.toContain(bad);
  });

  it('names each bad variable', () => {
    expect(() => loadConfig({ ...BASE, PORT: 'eighty' })).toThrow(/PORT: /);
    expect(() => loadConfig({ ...BASE, DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: a postgres:\/\/ connection string/,
    );
    expect(() => loadConfig({ ...BASE, FENGCHENG_ADMIN_KEY: 'short' })).toThrow(/FENGCHENG_ADMIN_KEY: /);
    expect(() => loadConfig({ ...BASE, FENGCHENG_RATE_LIMIT: 'lots' })).toThrow(
      /FENGCHENG_RATE_LIMIT must be/,
    );
  });

  it('refuses an EVENTSTORE_URL the EventStoreDB client cannot parse, kurrentdb:// among them, naming it', () => {
    for (const url of ['kurrentdb://127.0.0.1:2113', 'kurrentdb+discover://a:2113', 'http://x']) {
      expect(() => loadConfig({ ...BASE, EVENTSTORE_URL: url })).toThrow(
        /EVENTSTORE_URL: an esdb:\/\/ or esdb\+discover:\/\/ connection string/,
      );
    }
    expect(loadConfig({ ...BASE, EVENTSTORE_URL: 'esdb+discover://a:2113,b:2113' }).eventStoreUrl).toBe(
      'esdb+discover://a:2113,b:2113',
    );
  });

  it('reads the rate limit, the event store URL and the log level', () => {
    const config = loadConfig({
      ...BASE,
      EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
      FENGCHENG_RATE_LIMIT: '6000/1s',
      LOG_LEVEL: 'warn',
      PORT: '8080',
    });
    expect(config.rateLimit).toEqual({ max: 6000, timeWindowMs: 1000 });
    expect(config.eventStoreUrl).toBe('esdb://127.0.0.1:2113?tls=false');
    expect(config.logLevel).toBe('warn');
    expect(config.port).toBe(8080);
    expect(loadConfig({ ...BASE, FENGCHENG_RATE_LIMIT: 'off' }).rateLimit).toBe(false);
  });
});
