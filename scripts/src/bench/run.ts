/**
 * `npm run bench`: the benchmark suite of issue #6 on the machine's Postgres server.
 * Sections: store (ours vs Message DB), ingest (HTTP, services as child processes), rebuild,
 * analyst (Yinchuan ×1 and ×N over HTTP), embedded (`npm start -- --yinchuan` on PGlite); peak
 * RSS of each service comes from ingest and analyst.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integerArgument } from '@fengcheng/platform';
import { Command, InvalidArgumentError, Option } from 'commander';
import pg from 'pg';
import { runAnalystBench } from './analyst.bench';
import { runEmbeddedBench } from './embedded.bench';
import { runEventStoreBench } from './event-store.bench';
import { runHttpLimitBench } from './http-limit.bench';
import { runIngestBench } from './ingest.bench';
import { openMessageDbBench } from './message-db.bench';
import { rebuildCommandFlags, runRebuildBench } from './rebuild.bench';
import {
  describeMachine,
  type Figures,
  gitCommit,
  ledgerShapeNote,
  markdownTable,
  targets,
  withBenchSection,
} from './report';
import { REPO_ROOT, releaseEverything } from './services';

const SECTIONS = ['store', 'ingest', 'rebuild', 'analyst', 'embedded'] as const;
type Section = (typeof SECTIONS)[number];
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Quick mode loads one township station's slice of Yinchuan (every registration, then its cases). */
const QUICK_SLICE = ['station-640105003'];

const positiveInt = integerArgument(1);
const sectionList = (value: string): Section[] => {
  const names = value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`sections are ${SECTIONS.join(', ')}`);
  }
  return names as Section[];
};

interface Options {
  quick: boolean;
  only?: Section[];
  scale: number;
  runs?: number;
  write?: boolean;
  results?: string;
}

const program = new Command('bench')
  .description(
    `Fengcheng's benchmark suite (issue #6) on the Postgres server at DATABASE_URL (default ${DEFAULT_URL}). ` +
      'Sections: store = the event store vs Message DB (five figures each, our/peer ratios); ' +
      'ingest = HTTP single and batch ingest against the ingest API in a child process, then the same load on a bare server with plain inserts (the limit); ' +
      'rebuild = all read models over 1 million events; ' +
      'analyst = Yinchuan ×1 and ×N loaded over HTTP, analyst queries and case history; ' +
      'embedded = `npm start -- --yinchuan` on a fresh PGlite folder (no server), loaded and projected. ' +
      'Peak RSS of each service is read from /proc during ingest and analyst. ' +
      "Each section works in a scratch database of its own (the embedded one in a scratch folder), dropped at its end (Message DB's own database stays, reinstalled on each run); Ctrl-C (or SIGTERM) stops the run and its services and drops those scratch databases and folders.",
  )
  .option(
    '--quick',
    `one run of each at small sizes, the Yinchuan sections on one station's slice (${QUICK_SLICE.join(', ')}): a couple of minutes, a smoke test`,
    false,
  )
  .addOption(
    new Option('--only <sections>', `comma-separated subset of ${SECTIONS.join(',')}`).argParser(sectionList),
  )
  .option('--scale <n>', 'the larger Yinchuan scale for the analyst section (1 skips it)', positiveInt, 10)
  .option('--runs <n>', 'runs per figure (default 3, quick 1); each figure is their median', positiveInt)
  .option(
    '--write',
    'write bench/results and the README even for a quick or partial run (a full run always does)',
  )
  .option(
    '--results <file>',
    'write the results JSON to this file instead, and leave bench/results and the README alone',
  )
  .showHelpAfterError();

/** Set once a signal has started the clean-up: what fails after it is the clean-up's doing. */
let interrupted = false;

/**
 * Ctrl-C (or a SIGTERM) stops the run without leaving its scratch databases on the server or
 * its services running: what it made is given back, then it exits as the signal asks.
 */
function releaseOnInterrupt(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    // `on`, not `once`: tsx passes the terminal's Ctrl-C on to this process as well, and a
    // second signal must not end it half-way through the clean-up.
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping the bench's services and dropping its scratch databases\n`);
      void releaseEverything().then((dropped) => {
        process.stderr.write(`  dropped ${dropped.length ? dropped.join(', ') : 'none'}\n`);
        process.exit(code);
      });
    });
  }
}

async function main() {
  program.parse();
  releaseOnInterrupt();
  const options = program.opts<Options>();
  const url = process.env.DATABASE_URL ?? DEFAULT_URL;
  await checkReachable(url);
  const sections = options.only ?? [...SECTIONS];
  const quick = options.quick;
  const runs = options.runs ?? (quick ? 1 : 3);
  const say = (line: string) => process.stderr.write(`  ${line}\n`);
  const started = performance.now();
  const machine = await describeMachine(url);
  process.stderr.write(
    `bench on ${machine.cores} × ${machine.cpus}, ${machine.memoryGb} GB, node ${machine.node}, Postgres ${machine.postgres}; load average ${machine.loadAverageAtStart.join(' ')}\n`,
  );

  const figures: Figures = {};
  const peer: Figures = {};
  const notes: string[] = [];
  const peaks: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    process.stderr.write(`[${name}]\n`);
    const result = await fn();
    say(`done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    return result;
  };

  if (sections.includes('store')) {
    const theirs = await openMessageDbBench({ url, quick });
    try {
      const store = await timed('store: our PostgreSQL event store and Message DB (peer), same server', () =>
        runEventStoreBench({ url, quick, runs, peer: theirs }),
      );
      Object.assign(figures, store.ours);
      Object.assign(peer, store.peer);
    } finally {
      await theirs.close();
    }
    const shapeNote = ledgerShapeNote(figures);
    notes.push(
      "Store: each figure of ours is measured right after its plain-SQL limit (and, for the appends, the same plain SQL into the ledger's table shape) and right before the peer's same figure, in every run, so that a ratio compares loads of the same minute. The 200-event stream read (ours, its plain-SQL limit and the peer) is timed in a node process of its own (scripts/src/bench/stream-read.ts), so that garbage from the section's other phases does not land in its young collections.",
      ...(shapeNote ? [shapeNote] : []),
      `Store, 8 connections: ours is the store as it runs by default, sending appends to different streams that wait at the same moment together (at most 2 statements in flight); Message DB runs 8 independent transactions. With 8 statements in flight and no grouping, ours made ${Math.round(figures.appendSingleEventsPerSec8ConnUngrouped ?? Number.NaN).toLocaleString('en-US')} ev/s in the same runs.`,
    );
  }
  if (sections.includes('ingest')) {
    const ingest = await timed('ingest: HTTP, ingest-api in a child process', () =>
      runIngestBench({ url, quick, runs, onProgress: say }),
    );
    const { ingestPeakRssMb, projectorPeakRssMb, ...rest } = ingest;
    Object.assign(figures, rest);
    const limit = await timed('ingest limit: the same load on a bare HTTP server with plain inserts', () =>
      runHttpLimitBench({ url, quick, runs, onProgress: say }),
    );
    Object.assign(figures, limit);
    peaks.ingestPeakRssMb = Math.max(peaks.ingestPeakRssMb ?? 0, ingestPeakRssMb);
    peaks.projectorPeakRssMb = Math.max(peaks.projectorPeakRssMb ?? 0, projectorPeakRssMb);
  }
  if (sections.includes('rebuild')) {
    const rebuild = await timed(
      `rebuild: all read models over ${quick ? '20,000' : '1 million'} events`,
      () => runRebuildBench({ url, quick, runs, onProgress: say }),
    );
    Object.assign(figures, rebuild);
    notes.push(
      rebuild.rebuildSameRows === 1
        ? 'Rebuild: the bulk rebuild and the live projector catching up over the same synthetic log left the same rows in every read model.'
        : 'Rebuild: the bulk rebuild and the live projector DISAGREED on some read-model rows (see packages/read-models/src/bench/bench-rebuild.ts).',
      `Rebuild: each run is a node process of its own started as the projector's \`rebuild\` command starts one (its node flags: \`${rebuildCommandFlags().join(' ')}\`); it keeps the projected state in memory while it fits (\`bulkApplier\`). Its peak RSS, with the synthetic log appended by the same process, was ${Math.round(rebuild.rebuildPeakRssMb).toLocaleString('en-US')} MB; the 200 MB target is the services' under steady load.`,
    );
  }
  const labels: Record<string, string> = {};
  if (sections.includes('analyst')) {
    const scales = quick || options.scale === 1 ? [1] : [1, options.scale];
    const analyst = await timed(`analyst: Yinchuan ×${scales.join(' and ×')} over HTTP`, () =>
      runAnalystBench({
        url,
        quick,
        runs,
        scales,
        ...(quick ? { organisations: QUICK_SLICE } : {}),
        onProgress: say,
      }),
    );
    Object.assign(figures, analyst.figures);
    notes.push(...analyst.notes);
    for (const [key, value] of Object.entries(analyst.peaks)) peaks[key] = Math.max(peaks[key] ?? 0, value);
    for (const key of Object.keys(analyst.figures).filter((k) => k.startsWith('big')))
      labels[key] = labelFor(key, options.scale);
  }
  if (sections.includes('embedded')) {
    const embedded = await timed('embedded: npm start -- --yinchuan on PGlite', () =>
      runEmbeddedBench({ runs, ...(quick ? { organisations: QUICK_SLICE } : {}), onProgress: say }),
    );
    Object.assign(figures, embedded.figures);
    notes.push(embedded.note);
  }
  Object.assign(figures, peaks);
  if (peaks.ingestPeakRssMb !== undefined)
    notes.push(
      'Peak RSS is VmHWM from /proc of each standalone service (ingest-api, projector, query-api as separate node processes bundled by esbuild into one module each and started as `node dist/main.mjs` with the flags of their start scripts, the way `npm run start:*` runs them) over the ingest and analyst loads.',
    );

  const table = markdownTable(figures, peer, labels);
  const seconds = Math.round((performance.now() - started) / 1000);
  process.stdout.write(`\n${table}\n\n`);
  for (const note of notes) process.stdout.write(`- ${note}\n`);
  process.stdout.write(`bench took ${seconds} s\n`);

  const complete = !quick && options.only === undefined;
  if (complete || options.write || options.results) {
    const date = new Date().toISOString().slice(0, 10);
    const commit = gitCommit();
    const local = sameMachine(url);
    const where = local ? 'Postgres on the same box' : 'Postgres on another host';
    const shared = `The machine is shared: ${machine.cores} cores, ${where}, other builds and tests running during the bench. Ratios measured in one run count for more than absolute figures.`;
    const results = {
      date: new Date().toISOString(),
      commit,
      machine,
      mode: quick ? 'quick' : 'full',
      sections,
      runsPerFigure: runs,
      seconds,
      note: shared,
      notes,
      figures,
      peer: { name: 'Message DB (@eventide/message-db), same server, own database', figures: peer },
      targets: targets(),
    };
    if (options.results) {
      writeFileSync(options.results, `${JSON.stringify(results, null, 2)}\n`);
      process.stderr.write(`wrote ${options.results}\n`);
      return;
    }
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    // A second run on the same day (often another machine) is kept beside the first, not over it.
    let file = `${date}.json`;
    for (let n = 2; existsSync(join(dir, file)); n++) file = `${date}-${n}.json`;
    writeFileSync(join(dir, file), `${JSON.stringify(results, null, 2)}\n`);
    const header = `Measured ${date} at commit ${commit} on ${machine.cores} × ${machine.cpus}, ${machine.memoryGb} GB RAM, ${machine.platform}, Node ${machine.node}, PostgreSQL ${machine.postgres} ${local ? 'on the same machine' : 'on another host'} (${quick ? 'quick mode' : `each figure the median of ${runs} runs, but for the Yinchuan loads over HTTP and the projector's catch-up, one each`}; ${sections.join(', ')}). ${shared}`;
    const columns =
      '"limit here" is the same load with plain SQL and no ledger logic (single-row and 100-row inserts of 400-byte rows, the same 200 events read back from a table keyed by stream and version, a keyset read of the same log, a bare HTTP server doing one plain insert per POST or per batch and, per case history, a plain read of the case\'s rows and one durable insert where we record the read, one trivial counter projected over the rebuild\'s log), measured in this run; "ours/limit here" is the share of it we reach (for a latency, the multiple of it we take), next to the share the target asks of the reference machine\'s limit ("target/limit"). "ours/peer" is read the same way against the issue\'s target over the best peer it names ("target/best peer"). ✓/✗ after ours: the absolute target; after a share or a ratio: the one asked.';
    const body = `${header}\n\n${columns}\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
    writeFileSync(join(dir, 'latest.md'), `# Latest benchmark\n\n${body}`);
    const readmePath = join(REPO_ROOT, 'README.md');
    writeFileSync(
      readmePath,
      withBenchSection(
        readFileSync(readmePath, 'utf8'),
        `${body}\nRaw figures: \`bench/results/${file}\`. Reproduce with \`npm run bench\` on a machine with Postgres (\`DATABASE_URL\`, default \`postgres://postgres@127.0.0.1:5432/test\`); options follow \`--\`: \`npm run bench -- --quick\` (or \`--only store,ingest\`, \`--scale 10\`, \`--help\`). Each section works in a database (the embedded one, a folder) of its own, dropped at its end, except Message DB's own (\`fengcheng_bench_message_db\`), which stays and is reinstalled on each run; Ctrl-C stops a run and drops the scratch ones it made.`,
      ),
    );
    process.stderr.write(`wrote bench/results/${file}, bench/results/latest.md and the README table\n`);
  }
}

/** Whether DATABASE_URL names this machine (a local socket, localhost or a loopback address). */
function sameMachine(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === '' || hostname === 'localhost' || hostname.startsWith('127.') || hostname === '[::1]';
}

function labelFor(key: string, scale: number): string {
  const base: Record<string, string> = {
    bigLoadSeconds: `Yinchuan ×${scale} loaded and projected`,
    bigLoadEventsPerSec: `Yinchuan ×${scale} load rate (HTTP batch path)`,
    bigAnalystP50Ms: `analyst queries p50, Yinchuan ×${scale}`,
    bigAnalystP99Ms: `analyst queries p99, Yinchuan ×${scale}`,
    bigCaseHistoryP50Ms: `case history over HTTP p50, Yinchuan ×${scale}`,
    bigCaseHistoryP99Ms: `case history over HTTP p99, Yinchuan ×${scale}`,
  };
  return base[key] ?? key;
}

async function checkReachable(url: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    process.stderr.write(
      `bench: cannot reach Postgres at ${url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')} (${(error as Error).message}).\n` +
        'Start the server or set DATABASE_URL=postgres://user@host:5432/db (the bench makes and drops its own schemas and databases there).\n',
    );
    process.exit(2);
  } finally {
    await client.end().catch(() => {});
  }
}

main().catch((error: unknown) => {
  // Killing the services on an interrupt fails the section under way: the release exits.
  if (interrupted) return;
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
