/**
 * Issue #6's embedded target: the full Yinchuan dataset loaded and projected in 60 s or less on
 * PGlite. Each run is exactly what a user runs, `npm start -- --yinchuan`: the all-in-one bundle
 * with its start script's node flags, on a fresh embedded data folder, no server involved. The
 * figure is the process's own summary (from its first post until the read models have every
 * event), read from its `yinchuan loaded` log line; the time from spawn to listening is kept
 * apart, as is the process's peak RSS.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { YinchuanLoadSummary } from '../yinchuan/load';
import {
  bundledService,
  freePort,
  peakRssMb,
  REPO_ROOT,
  rssMb,
  scratchDirectory,
  stopChild,
  trackChild,
} from './services';
import { median } from './stats';

export interface EmbeddedLoad extends YinchuanLoadSummary {
  /** From spawn until the process listened (PGlite opened, migrated, the server up). */
  startSeconds: number;
  peakRssMb: number;
  /** The peak by the time it listened: PGlite's initdb on the fresh folder, and the start. */
  startPeakRssMb: number;
  /** Resident when the load was done and projected. */
  rssAtEndMb: number;
}

/** Variables that would point the process away from its embedded default. */
const SERVER_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'EVENTSTORE_URL',
  'FENGCHENG_ADMIN_KEY',
  'FENGCHENG_MASTER_KEY',
];

/** One `npm start -- --yinchuan` on a fresh data folder, stopped once it has said it is done. */
export async function embeddedYinchuanLoad(
  options: { organisations?: string[]; timeoutMs?: number } = {},
): Promise<EmbeddedLoad> {
  const { bundle, flags } = bundledService('all-in-one');
  const data = scratchDirectory('embedded');
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of SERVER_VARIABLES) delete env[name];
  const args = [...flags, join(REPO_ROOT, bundle), '--yinchuan'];
  if (options.organisations) args.push('--organisations', options.organisations.join(','));
  const spawned = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...env,
      FENGCHENG_DATA_DIR: data.path,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // The end of what it said, for the error should it fail.
  let output = '';
  let listening = Number.NaN;
  let startPeakRssMb = Number.NaN;
  try {
    const summary = await new Promise<YinchuanLoadSummary>((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(
        () => reject(new Error(`no summary within ${options.timeoutMs ?? 600_000} ms`)),
        options.timeoutMs ?? 600_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          output = `${output}${line}\n`.slice(-20_000);
          const entry = parseLogLine(line);
          if (entry?.msg === 'fengcheng listening') {
            listening = performance.now();
            startPeakRssMb = peakRssMb(child.pid!);
          }
          if (entry?.msg === 'yinchuan loaded') {
            clearTimeout(timer);
            resolve(entry as unknown as YinchuanLoadSummary);
          }
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output = `${output}${chunk.toString()}`.slice(-20_000);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the process exited (${code}) before its summary`));
      });
    }).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${output.slice(-3000)}`);
    });
    return {
      events: summary.events,
      rejected: summary.rejected,
      loadSeconds: summary.loadSeconds,
      totalSeconds: summary.totalSeconds,
      serviceInstances: summary.serviceInstances,
      serviceInstancesBefore: summary.serviceInstancesBefore,
      expectedServiceInstances: summary.expectedServiceInstances,
      startSeconds: (listening - spawned) / 1000,
      peakRssMb: peakRssMb(child.pid!),
      startPeakRssMb,
      rssAtEndMb: rssMb(child.pid!),
    };
  } finally {
    await stopChild(child, exited);
    data.remove();
  }
}

function parseLogLine(line: string): { msg?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { msg?: string };
  } catch {
    return undefined;
  }
}

/** `runs` embedded loads of Yinchuan ×1, one after the other; each figure is their median. */
export async function runEmbeddedBench(options: {
  runs: number;
  /** Load only these organisations' events (quick mode's slice). */
  organisations?: string[];
  onProgress?: (line: string) => void;
}): Promise<{ figures: Record<string, number>; note: string }> {
  const loads: EmbeddedLoad[] = [];
  for (let run = 0; run < options.runs; run++) {
    const load = await embeddedYinchuanLoad(
      options.organisations ? { organisations: options.organisations } : {},
    );
    if (
      load.rejected > 0 ||
      load.serviceInstancesBefore !== 0 ||
      load.serviceInstances !== load.expectedServiceInstances
    ) {
      throw new Error(
        `embedded Yinchuan: ${load.rejected} rejected, analyst total ${load.serviceInstances} (expected ${load.expectedServiceInstances}; ${load.serviceInstancesBefore} before the load on a fresh folder)`,
      );
    }
    loads.push(load);
    options.onProgress?.(
      `run ${run + 1}/${options.runs}: ${load.events} events posted in ${load.loadSeconds.toFixed(1)} s, loaded and projected in ${load.totalSeconds.toFixed(1)} s (listening ${load.startSeconds.toFixed(1)} s after spawn); analyst total ${load.serviceInstances}; RSS ${Math.round(load.rssAtEndMb)} MB at the end, ${Math.round(load.peakRssMb)} MB at the peak (${Math.round(load.startPeakRssMb)} MB by the time it listened)`,
    );
  }
  const of = (pick: (load: EmbeddedLoad) => number) => median(loads.map(pick));
  const seconds = loads.map((load) => load.totalSeconds.toFixed(1));
  const figures = {
    embeddedLoadSeconds: Math.round(of((l) => l.totalSeconds) * 100) / 100,
    embeddedLoadEventsPerSec: Math.round(of((l) => l.events / l.loadSeconds)),
    embeddedPeakRssMb: Math.round(of((l) => l.peakRssMb)),
    embeddedEndRssMb: Math.round(of((l) => l.rssAtEndMb)),
  };
  const slice = options.organisations ? ` --organisations ${options.organisations.join(',')}` : '';
  const note = `Embedded: \`npm start -- --yinchuan${slice}\` as a user runs it (the all-in-one process on PGlite, a fresh data folder each run, no server), ${loads[0]!.events.toLocaleString('en-US')} events through the HTTP batch route in-process; loaded and projected in ${seconds.join(', ')} s (runs), the analyst total ${loads[0]!.serviceInstances.toLocaleString('en-US')} each time; the process listened ${of((l) => l.startSeconds).toFixed(1)} s after it was spawned (not counted). Its RSS is that of all three services and the database in one process: ${figures.embeddedEndRssMb} MB once the load was projected, ${figures.embeddedPeakRssMb} MB at the peak, of which ${Math.round(of((l) => l.startPeakRssMb))} MB were reached by the time it listened (PGlite's initdb on the fresh folder).`;
  return { figures, note };
}
