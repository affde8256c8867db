import { createLogger, integerArgument, openDatabase } from '@fengcheng/platform';
import { rebuildReadModels } from '@fengcheng/read-models';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { openRebuildStore } from './rebuild-store';

const program = new Command()
  .name('rebuild')
  .description(
    'Rebuild every read model from the start of the event log into a new generation, then swap it in.\n' +
      'Queries keep answering from the current generation until the swap; a running projector follows the swap.',
  )
  .option('--database-url <url>', 'Postgres server of the events and read models (default: $DATABASE_URL)')
  .option(
    '--data-dir <folder>',
    'embedded PGlite data folder instead of a server (only while nothing else has it open)',
  )
  .option(
    '--eventstore-url <url>',
    'EventStoreDB to read the events from (default: $EVENTSTORE_URL; without either, the PostgreSQL event store in the database)',
  )
  .option(
    '--schema <name>',
    'base schema of the event store and the generation pointer',
    process.env.DATABASE_SCHEMA ?? 'public',
  )
  .option('--batch-size <n>', 'events per transaction', integerArgument(1), 5000)
  .option('--drop-delay <ms>', 'how long the old generation outlives the swap', integerArgument(0), 5000)
  .option('--quiet', 'no progress bar')
  .action(
    async (options: {
      databaseUrl?: string;
      dataDir?: string;
      eventstoreUrl?: string;
      schema: string;
      batchSize: number;
      dropDelay: number;
      quiet?: boolean;
    }) => {
      const url = options.databaseUrl ?? process.env.DATABASE_URL;
      if (!url && !options.dataDir) {
        program.error('give --database-url (or set DATABASE_URL), or --data-dir for an embedded database');
      }
      const logger = createLogger({ name: 'rebuild', level: process.env.LOG_LEVEL ?? 'warn' });
      const database = await openDatabase({
        url,
        dataDir: url ? undefined : options.dataDir,
        schema: options.schema,
      });
      const { store } = await openRebuildStore({ database, logger, eventstoreUrl: options.eventstoreUrl });
      const head = await store.headPosition();
      const started = performance.now();
      const bar = options.quiet
        ? null
        : new SingleBar({
            format: 'rebuild |{bar}| {percentage}% | {events} events | {rate} events/s | position {position}',
            hideCursor: true,
          });
      bar?.start(Math.max(1, Number(head)), 0, { events: 0, rate: 0, position: '0' });
      try {
        const result = await rebuildReadModels({
          store,
          database,
          logger,
          batchSize: options.batchSize,
          dropDelayMs: options.dropDelay,
          onProgress: (done, position) => {
            const seconds = (performance.now() - started) / 1000;
            bar?.update(Math.min(Number(position), Math.max(1, Number(head))), {
              events: done,
              rate: Math.round(done / Math.max(seconds, 0.001)),
              position: position.toString(),
            });
          },
        });
        bar?.update(Math.max(1, Number(head)));
        bar?.stop();
        process.stdout.write(
          `rebuilt ${result.events} events in ${result.seconds.toFixed(1)} s (${Math.round(result.events / Math.max(result.seconds, 0.001))} events/s)\n`,
        );
      } finally {
        bar?.stop();
        await store.close();
        await database.close();
      }
    },
  );

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
