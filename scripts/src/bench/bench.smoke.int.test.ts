import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { embeddedYinchuanLoad } from './embedded.bench';
import { singlePosts } from './ingest.bench';
import { rebuildCommandFlags, runRebuildBench } from './rebuild.bench';
import { ledgerShapeNote, markdownTable, README_END, README_START, withBenchSection } from './report';
import { cpuMs, REPO_ROOT } from './services';
import { median, payloadOfSize, percentile } from './stats';

function cpuSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1_000;
}

// A smoke test only: the bench produces figures. Their size is for `npm run bench` to show, never a test.
describe('bench smoke', () => {
  it('stats helpers give exact medians, nearest-rank percentiles and payload sizes', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(JSON.stringify(payloadOfSize(400)).length).toBe(400);
  });

  it('the table shows ours, the target, the share of the limit measured here and the ratio to the peer, each against the one asked', () => {
    const table = markdownTable(
      { appendSingleEventsPerSec1Conn: 4_000, limitInsertsPerSec1Conn: 4_400, readStream200P99Ms: 2 },
      { appendSingleEventsPerSec1Conn: 2_500, readStream200P99Ms: 1 },
    );
    expect(table.split('\n')).toEqual([
      '| figure | ours | target | limit here | ours/limit here | target/limit (reference) | peer (Message DB) | ours/peer | target/best peer (reference) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      '| single appends, 1 connection (ev/s) | 4,000 ✗ | ≥ 4,500 | 4,400 | 0.91 ✓ | 0.88 (of 5,100) | 2,500 | 1.60 ✓ | 1.22 (of 3,700) |',
      '| 200-event stream read p99 (ms) | 2.00 ✗ | ≤ 1.50 |  |  |  | 1.00 | 2.00 ✗ (lower is better) | 0.88 (of 1.70) |',
    ]);
  });

  it("splits an append's share of the limit into the ledger's keys and our code", () => {
    const figures = {
      limitInsertsPerSec1Conn: 4_000,
      ledgerShapeInsertsPerSec1Conn: 3_000,
      appendSingleEventsPerSec1Conn: 2_400,
      limitInsertsPerSec8Conn: 10_000,
      ledgerShapeInsertsPerSec8Conn: 9_000,
      appendSingleEventsPerSec8Conn: 8_100,
      limitInsertsPerSec100Rows: 80_000,
      ledgerShapeInsertsPerSec100Rows: 50_000,
      appendBatch100EventsPerSec: 35_000,
    };
    const note = ledgerShapeNote(figures);
    expect(note).toContain('single rows, 1 connection 3,000 ev/s (0.75 of the limit; ours 0.80 of it)');
    expect(note).toContain('single rows, 8 connections 9,000 ev/s (0.90 of the limit; ours 0.90 of it)');
    expect(note).toContain('100-row inserts 50,000 ev/s (0.63 of the limit; ours 0.70 of it)');
    // A section run without the store (or an older results file) has no such line.
    expect(ledgerShapeNote({ ...figures, ledgerShapeInsertsPerSec100Rows: 0 })).toBeUndefined();
    expect(ledgerShapeNote({})).toBeUndefined();
  });

  it.skipIf(process.platform !== 'linux')(
    "reads a process's CPU time from /proc, and it grows with work",
    () => {
      const before = cpuMs(process.pid);
      // 100 ms of this process's own CPU time, however long a busy machine takes to give it
      // (a spin timed by the clock may get less than one 10 ms tick while CI runs beside it).
      const start = process.cpuUsage();
      let spins = 0;
      while (cpuSince(start) < 100) spins++;
      expect(spins).toBeGreaterThan(0);
      expect(before).toBeGreaterThan(0);
      expect(cpuMs(process.pid)).toBeGreaterThan(before);
      expect(cpuMs(0)).toBeNaN();
    },
  );

  it('the README section is replaced between its markers and nothing else moves', () => {
    const first = withBenchSection('# Fengcheng\n\nintro\n', 'table one');
    expect(first).toBe(
      `# Fengcheng\n\nintro\n\n## Benchmarks\n\n${README_START}\ntable one\n${README_END}\n`,
    );
    expect(withBenchSection(first, 'table two')).toBe(first.replace('table one', 'table two'));
  });

  it('keeps HTTP latencies in fractions of a millisecond (autocannon keeps whole ones)', async () => {
    // Answers each POST after about 2 ms, as an ingest API would with 201.
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        setTimeout(() => {
          response.writeHead(201, { 'content-type': 'application/json' });
          response.end('{}');
        }, 2),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { appended, p50, p99 } = await singlePosts(`http://127.0.0.1:${port}`, 'none', 1);
      expect(appended).toBeGreaterThan(0);
      expect(p50).toBeGreaterThanOrEqual(2);
      expect(p99).toBeGreaterThanOrEqual(p50);
      // Whole milliseconds only by a fluke of one sample: measured latencies are not whole.
      expect(Number.isInteger(p50) && Number.isInteger(p99)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("starts each rebuild run with the node flags of the projector's rebuild script", () => {
    const flags = rebuildCommandFlags();
    expect(flags.every((flag) => flag.startsWith('--'))).toBe(true);
    expect(flags).toContain('--max-semi-space-size=64');
  });

  // With a server, the quick run below covers this section and the embedded one.
  it.skipIf(process.env.DATABASE_URL)(
    'the rebuild section produces finite, positive figures on the embedded database',
    async () => {
      const figures = await runRebuildBench({ url: undefined, runs: 1, events: 2_000 });
      expect(figures.rebuildEvents).toBeGreaterThanOrEqual(2_000);
      for (const value of Object.values(figures)) {
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThan(0);
      }
    },
    60_000,
  );

  it.skipIf(process.env.DATABASE_URL)(
    'the embedded section runs npm start -- --yinchuan on a fresh PGlite folder and reads its summary (one station here)',
    async () => {
      const load = await embeddedYinchuanLoad({ organisations: ['station-640105003'], timeoutMs: 150_000 });
      expect(load.rejected).toBe(0);
      expect(load.events).toBeGreaterThan(8_000);
      expect(load.serviceInstances).toBe(load.expectedServiceInstances);
      expect(load.serviceInstances).toBeGreaterThan(0);
      for (const value of [load.loadSeconds, load.totalSeconds, load.startSeconds, load.peakRssMb]) {
        expect(Number.isFinite(value) && value > 0).toBe(true);
      }
    },
    180_000,
  );

  // `npm run bench -- --quick` end to end, every section (the peer's too), into a file of its own.
  it.skipIf(!process.env.DATABASE_URL)(
    'npm run bench -- --quick produces a finite figure for every section, ours and the peer’s, and leaves the README alone',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fengcheng-bench-quick-'));
      const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
      try {
        const out = join(dir, 'results.json');
        const run = spawn(
          process.execPath,
          ['--import', 'tsx', join(REPO_ROOT, 'scripts/src/bench/run.ts'), '--quick', '--results', out],
          { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        for (const stream of [run.stdout, run.stderr]) {
          stream.on('data', (chunk: Buffer) => {
            output = `${output}${chunk.toString()}`.slice(-20_000);
          });
        }
        const status = await new Promise<number | null>((resolve) => run.once('exit', resolve));
        expect(status, output).toBe(0);
        const { figures, peer, mode } = JSON.parse(readFileSync(out, 'utf8')) as {
          figures: Record<string, number>;
          peer: { figures: Record<string, number> };
          mode: string;
        };
        expect(mode).toBe('quick');
        const sections = {
          store: [
            'appendSingleEventsPerSec1Conn',
            'appendSingleEventsPerSec8Conn',
            'appendBatch100EventsPerSec',
            'readStream200P50Ms',
            'readStream200P99Ms',
            'readAllEventsPerSec',
            'limitInsertsPerSec1Conn',
            'ledgerShapeInsertsPerSec1Conn',
          ],
          ingest: [
            'httpSinglePostsPerSec',
            'httpSinglePostP99Ms',
            'httpBatchEventsPerSec',
            'limitHttpSinglePostsPerSec',
            'projectorCatchUpEventsPerSec',
            'ingestPeakRssMb',
            'projectorPeakRssMb',
          ],
          rebuild: ['rebuildEventsPerSec', 'limitRebuildCounterEventsPerSec'],
          analyst: [
            'yinchuanLoadSeconds',
            'analystP50Ms',
            'analystP99Ms',
            'caseHistoryP50Ms',
            'caseHistoryP99Ms',
            'queryPeakRssMb',
          ],
          embedded: ['embeddedLoadSeconds', 'embeddedPeakRssMb'],
        };
        for (const key of Object.values(sections).flat()) {
          expect(Number.isFinite(figures[key]) && figures[key]! > 0, key).toBe(true);
        }
        for (const key of sections.store.slice(0, 6)) {
          expect(Number.isFinite(peer.figures[key]) && peer.figures[key]! > 0, `peer ${key}`).toBe(true);
        }
        expect(figures.rebuildSameRows).toBe(1);
        expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toBe(readme);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    600_000,
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'an interrupted run drops the scratch database it made and exits as the signal asks',
    async () => {
      const url = process.env.DATABASE_URL as string;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const scratch = async () =>
        (
          await admin.query<{ datname: string }>(
            "select datname from pg_database where datname like 'fengcheng\\_bench\\_ingest\\_%'",
          )
        ).rows.map((row) => row.datname);
      try {
        const before = new Set(await scratch());
        const run = spawn(
          process.execPath,
          ['--import', 'tsx', join(REPO_ROOT, 'scripts/src/bench/run.ts'), '--quick', '--only', 'ingest'],
          { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let stderr = '';
        run.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
        let made: string | undefined;
        const deadline = Date.now() + 45_000;
        while (!made && Date.now() < deadline && run.exitCode === null) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          made = (await scratch()).find((name) => !before.has(name));
        }
        expect(made, `no scratch database appeared; the run said:\n${stderr}`).toBeDefined();
        // To the runner alone, not its group: it must stop its services itself.
        run.kill('SIGINT');
        expect(await exited).toBe(130);
        expect(stderr).toContain(`dropped ${made}`);
        expect(await scratch()).not.toContain(made);
      } finally {
        await admin.end();
      }
    },
    60_000,
  );
});
