import { describe, expect, it } from 'vitest';
import { loadConfig, REQUIRED_ENV } from './config';

const URL = 'postgres://postgres@127.0.0.1:5432/fengcheng';

describe('ingest-api config', () => {
  it('needs only DATABASE_URL and fills in the rest', () => {
    expect(REQUIRED_ENV).toEqual(['DATABASE_URL']);
    const config = loadConfig({ DATABASE_URL: URL });
    expect(config).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: URL,
      eventStoreUrl: undefined,
      adminKey: undefined,
      rateLimit: { max: 600_000, timeWindowMs: 60_000 },
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a missing DATABASE_URL', () => {
    expect(() => loadConfig({})).toThrow('invalid configuration: DATABASE_URL is required');
  });

  it('names each bad variable', () => {
    expect(() => loadConfig({ DATABASE_URL: URL, PORT: 'eighty' })).toThrow(/PORT: /);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: a postgres:\/\/ connection string/,
    );
    expect(() => loadConfig({ DATABASE_URL: URL, FENGCHENG_ADMIN_KEY: 'short' })).toThrow(
      /FENGCHENG_ADMIN_KEY: /,
    );
    expect(() => loadConfig({ DATABASE_URL: URL, FENGCHENG_RATE_LIMIT: 'lots' })).toThrow(
      /FENGCHENG_RATE_LIMIT must be/,
    );
  });

  it('reads the rate limit, the event store URL and the log level', () => {
    const config = loadConfig({
      DATABASE_URL: URL,
      EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
      FENGCHENG_RATE_LIMIT: '6000/1s',
      LOG_LEVEL: 'warn',
      PORT: '8080',
    });
    expect(config.rateLimit).toEqual({ max: 6000, timeWindowMs: 1000 });
    expect(config.eventStoreUrl).toBe('esdb://127.0.0.1:2113?tls=false');
    expect(config.logLevel).toBe('warn');
    expect(config.port).toBe(8080);
    expect(loadConfig({ DATABASE_URL: URL, FENGCHENG_RATE_LIMIT: 'off' }).rateLimit).toBe(false);
  });
});
