import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

/** Starts `npm start`'s entry on `dataDir` and resolves with the log line whose msg is `until`. */
function start(dataDir: string, env: Record<string, string>, args: string[], until: string) {
  // The embedded mode: the runner's server, if any, must not leak in.
  const { DATABASE_URL: _url, EVENTSTORE_URL: _esdb, FENGCHENG_MASTER_KEY: _key, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...inherited, ...env, FENGCHENG_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const text of output.split('\n')) {
        if (!text.startsWith('{')) continue;
        const entry = JSON.parse(text) as Record<string, unknown>;
        if (entry.msg === until) resolve(entry);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`exited (${code}) before "${until}":\n${output.slice(-2000)}`)),
    );
  });
  return { child, line };
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));

describe('the embedded process killed outright', () => {
  it('keeps every write it acknowledged, and the ledger still verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fengcheng-crash-'));
    const env = {
      FENGCHENG_ADMIN_KEY: `crash-admin-${randomBytes(16).toString('hex')}`,
      // A free port of its own choosing; each run logs its URL.
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    const children: ChildProcess[] = [];
    try {
      // The first run loads the demo through the write path; it is killed the moment it says so.
      const first = start(join(dir, 'data'), env, [], 'demo loaded');
      children.push(first.child);
      const demo = await first.line;
      first.child.kill('SIGKILL');
      await exited(first.child);

      const second = start(join(dir, 'data'), env, ['--no-demo'], 'fengcheng listening');
      children.push(second.child);
      const { url } = (await second.line) as { url: string };
      const response = await fetch(`${url}/v1/ledger/verify?purpose=crash%20test`, {
        headers: { authorization: `Bearer ${env.FENGCHENG_ADMIN_KEY}` },
      });
      const body = (await response.json()) as { ok: boolean; events: number; lastPosition: string };
      expect(response.status).toBe(200);
      expect(body.ok).toBe(true);
      expect(body.events).toBeGreaterThanOrEqual(demo.events as number);
      expect(BigInt(body.lastPosition)).toBeGreaterThanOrEqual(BigInt(demo.lastPosition as string));
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await Promise.all(children.map(exited));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
