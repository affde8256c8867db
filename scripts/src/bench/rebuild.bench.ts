import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createScratchDatabase, peakRssMb, REPO_ROOT, trackChild } from './services';
import { median } from './stats';

export interface RebuildFigures {
  rebuildEvents: number;
  rebuildEventsPerSec: number;
  rebuildSeconds: number;
  /** One trivial counter over the same log in plain SQL: the limit the rebuild is read against. */
  limitRebuildCounterEventsPerSec: number;
  /** The synthetic log's service instances after the rebuild (a check that it counted). */
  rebuildServiceInstances: number;
  /** The live projector catching up over the same log from zero, batch by batch. */
  projectorLiveCatchUpEventsPerSec: number;
  /** 1 when every run's rebuild and live projector agreed row for row, else 0. */
  rebuildSameRows: number;
  rebuildPeakRssMb: number;
}

interface BenchRebuildOutput {
  rebuiltEvents: number;
  rebuildSeconds: number;
  eventsPerSecond: number;
  serviceInstances: number;
  counterEventsPerSecond: number;
  catchUpEventsPerSecond?: number;
  sameRows?: boolean;
}

/**
 * The read-models package's rebuild benchmark (synthetic Yinchuan-like log, then a rebuild of
 * every read model from zero) run in a child process per run: a fresh schema each time, and a
 * heap of its own so one run's garbage does not slow the next.
 */
export async function runRebuildBench(options: {
  /** The Postgres server; absent, the rebuild runs on an in-memory PGlite. */
  url: string | undefined;
  quick?: boolean;
  runs?: number;
  events?: number;
  onProgress?: (line: string) => void;
}): Promise<RebuildFigures> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 3);
  const events = options.events ?? (quick ? 20_000 : 1_000_000);
  const results: Array<BenchRebuildOutput & { rss: number }> = [];
  for (let run = 0; run < runs; run++) {
    const result = await rebuildInScratch(options.url, events);
    results.push(result);
    options.onProgress?.(
      `rebuild run ${run + 1}/${runs}: ${result.rebuiltEvents} events in ${result.rebuildSeconds} s (${result.eventsPerSecond} ev/s; trivial counter ${result.counterEventsPerSecond} ev/s)`,
    );
  }
  return {
    rebuildEvents: median(results.map((r) => r.rebuiltEvents)),
    rebuildEventsPerSec: Math.round(median(results.map((r) => r.eventsPerSecond))),
    rebuildSeconds: median(results.map((r) => r.rebuildSeconds)),
    limitRebuildCounterEventsPerSec: Math.round(median(results.map((r) => r.counterEventsPerSecond))),
    rebuildServiceInstances: median(results.map((r) => r.serviceInstances)),
    projectorLiveCatchUpEventsPerSec: Math.round(
      median(results.map((r) => r.catchUpEventsPerSecond ?? Number.NaN)),
    ),
    rebuildSameRows: results.every((r) => r.sameRows !== false) ? 1 : 0,
    rebuildPeakRssMb: Math.round(Math.max(...results.map((r) => r.rss)) * 10) / 10,
  };
}

/** One run in a database of its own on the server (dropped after it, or if the run is interrupted). */
async function rebuildInScratch(url: string | undefined, events: number) {
  if (!url) return rebuildOnce(undefined, events);
  const scratch = await createScratchDatabase(url, 'rebuild');
  try {
    return await rebuildOnce(scratch.url, events);
  } finally {
    await scratch.drop();
  }
}

/**
 * The node flags of the projector's `rebuild` script (`tsx <flags> src/rebuild.ts`), so that each
 * run is a process started as that command starts one. Any other form of the script is refused.
 */
export function rebuildCommandFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'services/projector/package.json'), 'utf8'));
  const words = String(manifest.scripts?.rebuild ?? '').split(/\s+/);
  if (
    words[0] !== 'tsx' ||
    words.at(-1) !== 'src/rebuild.ts' ||
    !words.slice(1, -1).every((w) => w.startsWith('--'))
  )
    throw new Error(
      `the projector's rebuild script is not "tsx [--flag…] src/rebuild.ts": ${manifest.scripts?.rebuild}`,
    );
  return words.slice(1, -1);
}

function rebuildOnce(url: string | undefined, events: number): Promise<BenchRebuildOutput & { rss: number }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    if (url) env.DATABASE_URL = url;
    else delete env.DATABASE_URL;
    const child = spawn(
      process.execPath,
      [
        ...rebuildCommandFlags(),
        '--import',
        'tsx',
        join(REPO_ROOT, 'packages/read-models/src/bench/bench-rebuild.ts'),
        String(events),
      ],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    trackChild(child);
    let out = '';
    let err = '';
    let rss = 0;
    // VmHWM is gone once the process exits: sample it while it runs.
    const sampler = setInterval(() => {
      const now = peakRssMb(child.pid ?? 0);
      if (now > rss) rss = now;
    }, 250);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(sampler);
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.includes('"eventsPerSecond"'));
      if (code !== 0 || !line) {
        reject(new Error(`bench-rebuild exited with ${code}: ${err.slice(-2000)}${out.slice(-2000)}`));
        return;
      }
      resolve({ ...(JSON.parse(line) as BenchRebuildOutput), rss });
    });
  });
}
