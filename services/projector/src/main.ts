import { openEventStore } from '@fengcheng/event-store';
import { createLogger, openDatabase } from '@fengcheng/platform';
import { createProjector, readCheckpoint, registerProjectorMetrics } from '@fengcheng/read-models';
import { loadConfig } from './config';
import { createHealthServer } from './health';

/** The projector on its own: follows the event log into the read models until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'projector', level: config.LOG_LEVEL });
  const database = await openDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const { store } = await openEventStore({
    eventstoreUrl: config.EVENTSTORE_URL,
    database,
    logger,
    // After a dropped EventStoreDB subscription, resume from what the read models committed.
    checkpointStore: { load: () => readCheckpoint(database) },
  });
  const projector = createProjector({ store, database, logger, batchSize: config.PROJECTOR_BATCH_SIZE });
  await projector.start();
  logger.info(
    { schema: config.DATABASE_SCHEMA, position: projector.position.toString() },
    'projector started',
  );

  const unregisterMetrics = registerProjectorMetrics(projector, store);

  // Liveness, readiness and metrics for orchestrators; the projector serves no other HTTP.
  let stopping = false;
  const health = createHealthServer(projector, () => stopping);
  await new Promise<void>((resolve) => health.listen(config.PORT, config.HOST, resolve));

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'projector stopping');
    try {
      await new Promise<void>((resolve) => health.close(() => resolve()));
      unregisterMetrics();
      await projector.stop();
      await store.close();
      await database.close();
      logger.info({ position: projector.position.toString() }, 'projector stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'projector did not stop cleanly');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  createLogger({ name: 'projector' }).fatal({ err: error }, 'projector failed to start');
  process.exit(1);
});
