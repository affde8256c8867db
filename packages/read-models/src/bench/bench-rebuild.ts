import { createPostgresEventStore } from '@fengcheng/event-store';
import { createLogger, openTestDatabase } from '@fengcheng/platform';
import { sql } from 'kysely';
import { readModelsFor, readPointer } from '../projector/generation';
import { rebuildReadModels } from '../projector/rebuild';
import { getServiceInstances } from '../queries/service-instances.query';
import { appendSyntheticLog } from './synthetic-log';

/**
 * Appends a synthetic log of `events` events to a fresh test database (the server when
 * DATABASE_URL is set, PGlite otherwise), rebuilds the read models from zero and reports
 * the rate. Run: `npx tsx packages/read-models/src/bench/bench-rebuild.ts 50000`.
 */
export async function benchRebuild(options: { events: number; batchSize?: number }) {
  const database = await openTestDatabase();
  const store = await createPostgresEventStore(database);
  const logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'warn' });
  try {
    const appendStarted = performance.now();
    const appended = await appendSyntheticLog(store, options.events);
    const appendSeconds = (performance.now() - appendStarted) / 1000;
    const result = await rebuildReadModels({
      store,
      database,
      logger,
      batchSize: options.batchSize ?? 5000,
      dropDelayMs: 0,
    });
    const total = (await getServiceInstances(await readModelsFor(database), {})).total;
    return {
      backend: database.kind,
      appended,
      appendSeconds: Number(appendSeconds.toFixed(2)),
      rebuiltEvents: result.events,
      rebuildSeconds: Number(result.seconds.toFixed(2)),
      eventsPerSecond: Math.round(result.events / result.seconds),
      serviceInstances: total,
    };
  } finally {
    await store.close();
    const pointer = await readPointer(database);
    if (pointer) await sql.raw(`drop schema if exists ${pointer.schema} cascade`).execute(database.db);
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 50_000);
  const batchSize = process.argv[3] ? Number(process.argv[3]) : undefined;
  benchRebuild({ events, ...(batchSize ? { batchSize } : {}) }).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
