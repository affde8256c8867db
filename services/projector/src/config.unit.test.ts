import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('projector config', () => {
  it('refuses to start without DATABASE_URL, naming it', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL/);
  });

  it('takes defaults for the rest and keeps EVENTSTORE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', EVENTSTORE_URL: 'esdb://x' })).toEqual({
      DATABASE_URL: 'postgres://u@h:5432/db',
      DATABASE_SCHEMA: 'public',
      EVENTSTORE_URL: 'esdb://x',
      PORT: 3000,
      HOST: '0.0.0.0',
      PROJECTOR_BATCH_SIZE: 2000,
      LOG_LEVEL: 'info',
    });
  });

  it('refuses an EVENTSTORE_URL that is not an esdb:// connection string, naming it', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', EVENTSTORE_URL: 'http://x' })).toThrow(
      /EVENTSTORE_URL/,
    );
  });

  it('refuses a batch size out of range', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', PROJECTOR_BATCH_SIZE: '0' })).toThrow(
      /PROJECTOR_BATCH_SIZE/,
    );
  });

  it('takes a blank EVENTSTORE_URL for unset, as the other services do', () => {
    expect(
      loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', EVENTSTORE_URL: ' ' }).EVENTSTORE_URL,
    ).toBeUndefined();
  });
});
