import { createWriteStream } from 'node:fs';
import { integerArgument } from '@fengcheng/platform';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { generateYinchuan } from './generate';
import { analystTotalAt, httpPost, loadYinchuan } from './load';

const positiveInt = integerArgument(1);

const program = new Command('yinchuan')
  .description(
    'The Yinchuan dataset: 6 county-level areas, 86 organisations, 7,599 workers, ~400 projects, 140,000 service instances per scale',
  )
  .showHelpAfterError();

program
  .command('generate')
  .description('write the dataset as NDJSON envelopes (registrations first, then each organisation in order)')
  .option('--seed <n>', 'random seed', positiveInt, 20240101)
  .option('--scale <n>', 'multiply the service instances (10 = 1.4 million)', positiveInt, 1)
  .option('--out <file>', 'output file (default: standard output)')
  .action(async (options: { seed: number; scale: number; out?: string }) => {
    const dataset = generateYinchuan(options);
    const out = options.out ? createWriteStream(options.out) : process.stdout;
    // A reader that stops early (`| head`) is not an error.
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
    const write = (line: string) =>
      out.write(line)
        ? Promise.resolve()
        : new Promise<void>((resolve) => out.once('drain', () => resolve()));
    for (const envelope of dataset.registrations) await write(`${JSON.stringify(envelope)}\n`);
    for (const org of dataset.organisations) {
      for (const envelope of dataset.eventsFor(org.organisationId))
        await write(`${JSON.stringify(envelope)}\n`);
    }
    if (out !== process.stdout) out.end();
  });

program
  .command('load')
  .description(
    'post the dataset to a running Fengcheng through the batch endpoint, then check the analyst total',
  )
  .requiredOption(
    '--admin-key <key>',
    'an admin API key (or set FENGCHENG_ADMIN_KEY)',
    process.env.FENGCHENG_ADMIN_KEY,
  )
  .option('--url <url>', 'base URL of the ingest API', 'http://localhost:3000')
  .option('--query-url <url>', 'base URL of the query API (default: --url)')
  .option('--seed <n>', 'random seed', positiveInt, 20240101)
  .option('--scale <n>', 'multiply the service instances (10 = 1.4 million)', positiveInt, 1)
  .option('--batch-size <n>', 'events per batch request', positiveInt, 500)
  .option('--concurrency <n>', 'organisations loaded at once', positiveInt, 4)
  .option(
    '--organisations <ids>',
    "load only these organisations' events (comma-separated, e.g. station-640105003); every registration still goes first, and the total expected is the slice's",
    (value: string) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
  )
  .option('--timeout <seconds>', 'longest to wait for the read models to include the load', positiveInt, 1800)
  .action(
    async (options: {
      adminKey: string;
      url: string;
      queryUrl?: string;
      seed: number;
      scale: number;
      batchSize: number;
      concurrency: number;
      organisations?: string[];
      timeout: number;
    }) => {
      const queryUrl = options.queryUrl ?? options.url;
      // What the ledger counted already (the demo of a first `npm start`, an earlier load).
      const before = await analystTotalAt(queryUrl, options.adminKey, 0n, 0);
      const bar = new SingleBar({
        format:
          'loading |{bar}| {percentage}% {value}/{total} events | {rate} ev/s | {rejected} rejected | eta {eta}s',
      });
      let started = false;
      const result = await loadYinchuan({
        post: httpPost(options.url),
        adminKey: options.adminKey,
        seed: options.seed,
        scale: options.scale,
        batchSize: options.batchSize,
        concurrency: options.concurrency,
        ...(options.organisations ? { organisations: options.organisations } : {}),
        onProgress: (p) => {
          if (!started) {
            started = true;
            bar.start(p.totalEvents, 0, { rate: 0, rejected: 0 });
          }
          const rate = Math.round(p.events / (p.seconds || 1));
          bar.update(p.events, { rate, rejected: p.rejected });
        },
        onRejected: (envelope, code, detail) => {
          bar.stop();
          process.stderr.write(`rejected ${envelope.type} ${envelope.eventId}: ${code} ${detail ?? ''}\n`);
        },
      });
      bar.stop();
      process.stdout.write(
        `loaded ${result.events} events in ${result.seconds.toFixed(1)} s (${Math.round(result.events / result.seconds)} ev/s), ${result.rejected} rejected\n`,
      );
      const waitStarted = performance.now();
      const total = await analystTotalAt(
        queryUrl,
        options.adminKey,
        result.lastPosition,
        options.timeout * 1000,
      );
      const added = total - before;
      const replayed =
        result.addedServiceInstances === result.expectedServiceInstances
          ? ''
          : `; events already in the ledger were answered as replays, so the load adds ${result.addedServiceInstances}`;
      process.stdout.write(
        `projected in a further ${((performance.now() - waitStarted) / 1000).toFixed(1)} s; analyst total: ${total} service instances, ${added} of them this load's (the dataset has ${result.expectedServiceInstances}${replayed}${before > 0 ? `; ${before} were there before` : ''})\n`,
      );
      // The read models must have counted exactly what the load appended, by the counting rule.
      if (added !== result.addedServiceInstances || result.rejected > 0) process.exitCode = 1;
    },
  );

await program.parseAsync();
