import { describe, expect, it } from 'vitest';
import { loadConfig, REQUIRED_ENV } from './config';

const URL = 'postgres://postgres@127.0.0.1:5432/fengcheng';
const MASTER = Buffer.alloc(32, 4).toString('base64');

describe('query-api config', () => {
  it('needs DATABASE_URL and FENGCHENG_MASTER_KEY', () => {
    expect(REQUIRED_ENV).toEqual(['DATABASE_URL', 'FENGCHENG_MASTER_KEY']);
    const config = loadConfig({ DATABASE_URL: URL, FENGCHENG_MASTER_KEY: MASTER });
    expect(config.FENGCHENG_MASTER_KEY).toEqual(Buffer.alloc(32, 4));
    expect(config.DATABASE_URL).toBe(URL);
  });

  it('names a missing or malformed master key without echoing it', () => {
    expect(() => loadConfig({ DATABASE_URL: URL })).toThrow('FENGCHENG_MASTER_KEY is required');
    const bad = Buffer.alloc(31, 1).toString('base64');
    let message = '';
    try {
      loadConfig({ DATABASE_URL: URL, FENGCHENG_MASTER_KEY: bad });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('FENGCHENG_MASTER_KEY: FENGCHENG_MASTER_KEY must be 32 random bytes in base64');
    expect(message).not.toContain(bad);
  });

  it('takes a blank EVENTSTORE_URL for unset, as the other services do', () => {
    const config = loadConfig({ DATABASE_URL: URL, FENGCHENG_MASTER_KEY: MASTER, EVENTSTORE_URL: '' });
    expect(config.EVENTSTORE_URL).toBeUndefined();
  });
});
