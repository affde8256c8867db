import { openEventStore } from '@fengcheng/event-store';
import { createHttpApp, KeyStore } from '@fengcheng/http';
import { createLogger, openDatabase } from '@fengcheng/platform';
import { KeyVault } from '@fengcheng/privacy';
import { READ_MODEL_DATABASE_SETTINGS, readModelsFor } from '@fengcheng/read-models';
import { loadConfig } from './config';
import { registerQueryRoutes } from './query.routes';
import { checkpointWaiter } from './wait-for-checkpoint';

/** The query API on its own: reads the read models a separate projector keeps, and the event store. */
async function main() {
  const config = loadConfig();
  const logger = createLogger({ name: 'query-api', level: config.LOG_LEVEL });
  const database = await openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    settings: READ_MODEL_DATABASE_SETTINGS,
  });
  const { store } = await openEventStore({ eventstoreUrl: config.EVENTSTORE_URL, database, logger });
  const keys = await KeyStore.open(database);
  const vault = await KeyVault.open(database, config.FENGCHENG_MASTER_KEY);
  const admin = await keys.ensureAdminKey(config.FENGCHENG_ADMIN_KEY);
  if (admin.created) {
    logger.warn('no admin key existed: one was created and printed once to stdout; keep it safe');
    process.stdout.write(`\nFengcheng admin key (shown once): ${admin.created}\n\n`);
  }

  const app = await createHttpApp({
    logger,
    keys,
    readiness: async () => {
      await readModelsFor(database);
      return true;
    },
  });
  registerQueryRoutes(app, {
    store,
    vault,
    readModels: () => readModelsFor(database),
    waitForPosition: checkpointWaiter(database),
    logger,
  });
  const url = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ url, schema: config.DATABASE_SCHEMA }, 'query-api listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'query-api stopping');
    await app.close();
    await store.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `query-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
