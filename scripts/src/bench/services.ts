import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root, whatever folder npm ran us from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type ServiceName = 'ingest-api' | 'projector' | 'query-api';

export interface RunningService {
  name: ServiceName;
  /** The node process itself (no npm or tsx wrapper in between), so /proc/<pid> is the service. */
  pid: number;
  url: string;
  logFile: string;
  /** Peak resident set (VmHWM) so far, in MB. */
  peakRssMb(): number;
  /** CPU time (user and system) the process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * What a bench run has made and not yet undone: its scratch databases (each the size of its
 * log, 2 GB for Yinchuan ×10), its scratch folders and its child processes. An interrupted run
 * gives them back through `releaseEverything`, so a Ctrl-C leaves no database behind on the
 * server and no embedded database in the temporary folder.
 */
const scratchDrops = new Map<string, () => Promise<void>>();
const children = new Set<ChildProcess>();
const scratchDirs = new Set<string>();
let released = false;

/** Stopped by `releaseEverything` if the run is interrupted while it runs. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/**
 * An interrupted run's clean-up: kills the children still running, removes the scratch folders
 * and drops every scratch database not yet dropped (`with (force)` ends the sessions still in
 * them). Nothing more is made afterwards. Returns the names of the databases dropped.
 */
export async function releaseEverything(): Promise<string[]> {
  released = true;
  for (const child of children) child.kill('SIGKILL');
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  const names = [...scratchDrops.keys()];
  for (const drop of [...scratchDrops.values()]) await drop().catch(() => {});
  return names;
}

/**
 * A fresh folder under the system's temporary one (an embedded database's data, say), removed
 * by `remove()` or, if the run is interrupted, by `releaseEverything`.
 */
export function scratchDirectory(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `fengcheng-bench-${label}-`));
  scratchDirs.add(path);
  return {
    path,
    remove: () => {
      scratchDirs.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** VmHWM of a live process in MB (Linux); NaN where /proc is not there. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

/** VmRSS (resident now) of a live process in MB (Linux); NaN where /proc is not there. */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) a live process has used, in ms (Linux); NaN where /proc is not there.
 * /proc counts it in clock ticks of 1/100 s (USER_HZ, 100 on Linux's supported architectures).
 * A process's own CPU time is steadier than its rate on a shared machine: a busy neighbour
 * slows the rate, not the work one request costs.
 */
export function cpuMs(pid: number): number {
  try {
    // The command name in parentheses may hold spaces: the fields are counted after it.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts one standalone service as a child node process the way its `npm start` does (its
 * `prestart` bundles `src/main.ts` into `dist/main.mjs`, then node runs that with the start
 * script's flags), with its logs in a file, and waits until it answers (HTTP services:
 * /healthz; the projector: its first log line that says it started).
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: {
    logLevel?: string;
    timeoutMs?: number;
    /** Another entry point (from the repository root) run with this service's node flags. */
    script?: string;
    /** Called right before the process is spawned, once its bundle is built. */
    onSpawn?: () => void;
  } = {},
): Promise<RunningService> {
  const port = name === 'projector' ? 0 : await freePort();
  // The service's bundle, with its start script's flags beside it; another entry point is
  // bundled the same way, beside the scripts (dist/ is not committed), and run with those flags.
  const service = bundledService(name);
  const flags = service.flags;
  let bundle = service.bundle;
  if (options.script) {
    bundle = join('scripts', 'dist', `${basename(options.script, '.ts')}.mjs`);
    bundleEntry(options.script, bundle);
  }
  const logFile = join(tmpdir(), `fengcheng-bench-${name}-${randomBytes(3).toString('hex')}.log`);
  const log = createWriteStream(logFile);
  options.onSpawn?.();
  const child = spawn(process.execPath, [...flags, join(REPO_ROOT, bundle)], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? 'info',
      FENGCHENG_RATE_LIMIT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  const started = new Promise<void>((resolveStarted) => {
    const watch = (chunk: Buffer) => {
      log.write(chunk);
      if (output.length < 20_000) output += chunk.toString();
      if (name === 'projector' && output.includes('projector started')) resolveStarted();
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const ready = async () => {
    if (name === 'projector') return started;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${url}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const outcome = await Promise.race([
    ready().then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), options.timeoutMs ?? 60_000).unref()),
  ]);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start (${outcome}); its output:\n${output.slice(-3000)}`);
  }
  return {
    name,
    pid: child.pid!,
    url,
    logFile,
    peakRssMb: () => peakRssMb(child.pid!),
    cpuMs: () => cpuMs(child.pid!),
    stop: () => stopChild(child, exited).finally(() => log.end()),
  };
}

/** SIGTERM, then SIGKILL if it is still there 10 s later; resolves once it has exited. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A database of its own on the server for one section, so the services run on their default
 * `public` schema and nothing another session does is counted; `drop()` removes it.
 */
export async function createScratchDatabase(url: string, label: string) {
  if (released) throw new Error('the bench was interrupted: no more scratch databases');
  const name = `fengcheng_bench_${label}_${randomBytes(3).toString('hex')}`;
  const created = (async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }
  })();
  const target = new URL(url);
  target.pathname = `/${name}`;
  // Known to the clean-up before the database exists: a signal that lands while it is being
  // made waits for the `create` to end, then drops what it made.
  const drop = async () => {
    scratchDrops.delete(name);
    await created.catch(() => {});
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  };
  scratchDrops.set(name, drop);
  await created.catch((error: unknown) => {
    scratchDrops.delete(name);
    throw error;
  });
  return { name, url: target.toString(), drop };
}

/**
 * What every standalone service needs to start on a scratch database: the database, a random
 * admin key (long enough for FENGCHENG_ADMIN_KEY) and a random master key for client data keys.
 */
export function benchEnvironment(databaseUrl: string) {
  return {
    DATABASE_URL: databaseUrl,
    FENGCHENG_ADMIN_KEY: `bench-admin-${randomBytes(16).toString('hex')}`,
    FENGCHENG_MASTER_KEY: randomBytes(32).toString('base64'),
  };
}

/**
 * Bundles `services/<name>` as its `npm start` does (`prestart`) and gives the bundle (from the
 * repository root) with its start script's node flags, to run it the way `npm start` does.
 */
export function bundledService(name: ServiceName | 'all-in-one'): { bundle: string; flags: string[] } {
  const bundle = join('services', name, 'dist', 'main.mjs');
  bundleEntry(join('services', name, 'src', 'main.ts'), bundle);
  const flags = readFileSync(join(REPO_ROOT, 'services', name, 'dist', 'node-flags'), 'utf8')
    .split(/\s+/)
    .filter(Boolean);
  return { bundle, flags };
}

/** scripts/bundle-service.mjs, as a service's `prestart` runs it (paths from the repository root). */
function bundleEntry(entry: string, outfile: string): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-service.mjs'), entry, outfile], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
}
