import { openEventStore } from '@fengcheng/event-store';
import { createHttpApp, KeyStore, registerAdminRoutes } from '@fengcheng/http';
import { createLogger, openDatabase } from '@fengcheng/platform';
import { KeyVault } from '@fengcheng/privacy';
import { loadConfig } from './config';
import { registerIngestRoutes } from './events.routes';
import { organisationRegisteredIn } from './registrations';

/** The ingest API on its own: `DATABASE_URL=postgres://… FENGCHENG_MASTER_KEY=… npm run start:ingest`. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`ingest-api: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ name: 'ingest-api', level: config.logLevel });

  // DATABASE_URL holds the API keys and client keys always, and the events unless EVENTSTORE_URL is set.
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 20 });
  const { store, kind } = await openEventStore({ eventstoreUrl: config.eventStoreUrl, database, logger });
  const keys = await KeyStore.open(database);
  // With the events in the same database, a new client key's commit is flushed by the first append under it.
  const vault = await KeyVault.open(database, config.masterKey, {
    keysFlushedByAppends: kind === 'postgres',
  });
  const { created } = await keys.ensureAdminKey(config.adminKey);
  if (created) {
    // Printed, not logged: logs redact keys, and this one is shown once only.
    process.stdout.write(`\nFirst admin API key (shown once, keep it safe):\n  ${created}\n\n`);
  }

  const app = await createHttpApp({
    logger,
    keys,
    rateLimit: config.rateLimit,
    title: 'Fengcheng ingest API',
    readiness: async () => {
      await store.headPosition();
      return true;
    },
  });
  registerAdminRoutes(app, { keys, organisationRegistered: organisationRegisteredIn(store) });
  registerIngestRoutes(app, { store, logger, vault });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
      await store.close();
      await database.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
}

await main();
