import { integerArgument } from '@fengcheng/platform';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { startAllInOne } from './all-in-one';
import { loadYinchuanInto } from './yinchuan';

const positiveInt = integerArgument(1);

const cli = new Command('fengcheng')
  .description(
    'Fengcheng in one process: event store, projector, ingest and query APIs. With no configuration it runs on embedded Postgres (PGlite) in ./.fengcheng/data and loads a small demo on the first run.',
  )
  .addHelpText(
    'after',
    `
Environment:
  PORT                  listen port (3000)
  HOST                  bind address (127.0.0.1 embedded, 0.0.0.0 on a server)
  FENGCHENG_DATA_DIR    PGlite data folder (./.fengcheng/data)
  DATABASE_URL          a Postgres server instead of PGlite
  EVENTSTORE_URL        keep the events in EventStoreDB (esdb://…)
  EVENTSTORE_MAX_APPEND_SIZE  with EventStoreDB: its MaxAppendSize in bytes (1048576)
  FENGCHENG_ADMIN_KEY   the first admin key (else one is made and printed once)
  FENGCHENG_MASTER_KEY  wraps the client data keys (embedded: <data>/master.key)
  FENGCHENG_RATE_LIMIT  requests per API key: <max> a minute, <max>/<seconds>s or off (600000)
  LOG_LEVEL             info

Example: npm start -- --yinchuan   (the full Yinchuan dataset, loaded and projected)`,
  )
  .option(
    '--yinchuan',
    'load the full Yinchuan dataset (140,000 service instances per scale) through the write path',
  )
  .option(
    '--scale <n>',
    'with --yinchuan: multiply the dataset (10 = 1.4 million service instances)',
    positiveInt,
    1,
  )
  .option('--seed <n>', 'with --yinchuan: the generator seed', positiveInt)
  .option(
    '--organisations <ids>',
    "with --yinchuan: load only these organisations' events (comma-separated, e.g. station-640105003); every registration still goes first, and the total expected is the slice's",
    (value: string) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
  )
  .option('--no-demo', 'do not load the small demo on the first run')
  .showHelpAfterError();

/**
 * `npm start`: the whole of Fengcheng in one process, no configuration needed. Pino writes
 * its lines as usual; the banner below is for the person at the terminal.
 */
async function main() {
  const options = cli.parse(process.argv).opts<{
    yinchuan?: boolean;
    scale: number;
    seed?: number;
    organisations?: string[];
    demo: boolean;
  }>();
  if (!options.yinchuan && (options.scale !== 1 || options.seed !== undefined || options.organisations)) {
    cli.error('error: --scale, --seed and --organisations go with --yinchuan');
  }
  // The Yinchuan dataset replaces the demo, so the analyst total is exactly the dataset's.
  const running = await startAllInOne({ demo: options.demo && !options.yinchuan });
  if (running.database.kind === 'pglite') {
    // The embedded database cannot come back in this process; a new one recovers what was
    // committed (every acknowledged write), so exit rather than serve 503s for ever.
    running.database.pglite.onFailure((error) => {
      running.app.log.fatal({ err: error }, 'the embedded database stopped; exiting');
      process.stderr.write(`fengcheng stopped: the embedded database failed: ${error.message}\n`);
      process.exit(1);
    });
  }
  const lines = [
    '',
    '  凤城 Fengcheng is running',
    `  URL          ${running.url}   (API docs: ${running.url}/docs)`,
    `  data         ${running.dataLocation}`,
  ];
  const master = running.masterKeySource;
  if (master.kind === 'file') {
    lines.push(
      `  master key   ${master.path}${master.created ? '   (generated now)' : ''}`,
      '               encrypts personal data; back it up and keep it owner-only — lose it and the data is unreadable',
      '               in production set FENGCHENG_MASTER_KEY instead',
    );
  } else if (master.kind === 'configured') {
    lines.push('  master key   FENGCHENG_MASTER_KEY');
  } else {
    lines.push('  master key   in memory only, like the data (memory://)');
  }
  if (running.adminKey) {
    lines.push(
      `  admin key    ${running.adminKey}`,
      '               shown this once — keep it; it is stored only as a hash',
    );
  } else {
    lines.push('  admin key    the one printed on the first run, or FENGCHENG_ADMIN_KEY');
  }
  if (running.demo) {
    lines.push(
      `  demo         ${running.demo.events} events loaded from the Yinchuan article`,
      `               try: curl -H "Authorization: Bearer <admin key>" ${running.url}/v1/stats/service-instances?groupBy=county`,
    );
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);

  if (options.yinchuan) {
    const bar = new SingleBar({
      format: '  yinchuan |{bar}| {percentage}% {value}/{total} events | {rate} ev/s | {rejected} rejected',
    });
    let started = false;
    const summary = await loadYinchuanInto(running, {
      scale: options.scale,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.organisations ? { organisations: options.organisations } : {}),
      onProgress: (p) => {
        if (!started) {
          started = true;
          bar.start(p.totalEvents, 0, { rate: 0, rejected: 0 });
        }
        const rate = Math.round(p.events / (p.seconds || 1));
        bar.update(p.events, { rate, rejected: p.rejected });
      },
    });
    bar.stop();
    // For scripts (the bench reads it): the same summary as one log line.
    running.app.log.info({ ...summary, scale: options.scale }, 'yinchuan loaded');
    process.stdout.write(
      `  yinchuan   ${summary.events} events posted in ${summary.loadSeconds.toFixed(1)} s, ${summary.rejected} rejected; ` +
        `loaded and projected in ${summary.totalSeconds.toFixed(1)} s\n` +
        `             analyst total: ${summary.serviceInstances} service instances (the dataset has ${summary.expectedServiceInstances}` +
        `${summary.serviceInstancesBefore > 0 ? `; the data folder held ${summary.serviceInstancesBefore} before this load` : ''})\n\n`,
    );
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fengcheng failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
