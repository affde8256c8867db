import { EventStoreDBClient } from '@eventstore/db-client';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { describe, expect, it } from 'vitest';
import { isEventStoreDbUrl, openEventStore } from './open-event-store';

/** Whether the EventStoreDB client parses a connection string (it connects only when first used). */
function clientParses(url: string): boolean {
  try {
    EventStoreDBClient.connectionString(url);
    return true;
  } catch {
    return false;
  }
}

describe('EVENTSTORE_URL', () => {
  it('has a scheme the EventStoreDB client parses exactly when the client parses it (these URLs differ by scheme)', () => {
    const urls = [
      'esdb://127.0.0.1:2113?tls=false',
      'esdb://admin:changeit@es1:2113',
      'esdb+discover://es1:2113,es2:2113,es3:2113?tls=true&nodePreference=leader',
      ' esdb://es1:2113/ ',
      'kurrentdb://127.0.0.1:2113',
      'kurrentdb+discover://es1:2113',
      'ESDB://127.0.0.1:2113',
      'esdb://',
      'esdb:///',
      'http://127.0.0.1:2113',
      'postgres://postgres@127.0.0.1:5432/test',
    ];
    for (const url of urls) expect([url, isEventStoreDbUrl(url)]).toEqual([url, clientParses(url)]);
    expect(isEventStoreDbUrl('esdb://127.0.0.1:2113?tls=false')).toBe(true);
    expect(isEventStoreDbUrl('kurrentdb://127.0.0.1:2113')).toBe(false);
  });

  it('is refused when the store is opened, naming the variable and not the value; blank is unset', async () => {
    const logger = createLogger({ name: 'open-event-store-test', level: 'silent' });
    const database = await openTestDatabase({ forceEmbedded: true });
    try {
      const refused = openEventStore({ eventstoreUrl: 'kurrentdb://u:secret@es1:2113', database, logger });
      await expect(refused).rejects.toThrow(
        /^EVENTSTORE_URL must be an esdb:\/\/ or esdb\+discover:\/\/ connection string$/,
      );
      // The scheme is right, the rest is not: still named as the variable, still not echoed.
      for (const url of ['esdb://u:secret@h:notaport', 'esdb://?tls=false', 'esdb://h:2113?tls=maybe']) {
        const error = await openEventStore({ eventstoreUrl: url, database, logger }).catch((e: unknown) => e);
        expect((error as Error).message, url).toMatch(
          /^EVENTSTORE_URL must be an esdb:\/\/ or esdb\+discover:\/\/ connection string/,
        );
        expect((error as Error).message).not.toContain('secret');
      }
      const { store, kind } = await openEventStore({ eventstoreUrl: '  ', database, logger });
      expect(kind).toBe('postgres');
      await store.close();
    } finally {
      await database.drop();
    }
  });

  it('takes EVENTSTORE_MAX_APPEND_SIZE as a whole number of bytes, naming it when it is not one', async () => {
    const logger = createLogger({ name: 'open-event-store-test', level: 'silent' });
    const database = await openTestDatabase({ forceEmbedded: true });
    // Nothing listens there: the EventStoreDB adapter connects only when first used.
    const eventstoreUrl = 'esdb://127.0.0.1:1?tls=false';
    try {
      for (const value of ['1MiB', '0', '-5', '1.5']) {
        await expect(
          openEventStore({ eventstoreUrl, database, logger, env: { EVENTSTORE_MAX_APPEND_SIZE: value } }),
        ).rejects.toThrow(/^EVENTSTORE_MAX_APPEND_SIZE must be a whole number of bytes/);
      }
      const { store, kind } = await openEventStore({
        eventstoreUrl,
        database,
        logger,
        env: { EVENTSTORE_MAX_APPEND_SIZE: '4194304' },
      });
      expect(kind).toBe('eventstoredb');
      await store.close();
    } finally {
      await database.drop();
    }
  });
});
