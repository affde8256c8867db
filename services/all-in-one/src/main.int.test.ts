import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

describe('npm start options', () => {
  it.each([
    ['--scale', '2'],
    ['--seed', '7'],
    ['--organisations', 'station-640105003'],
  ])(
    '%s without --yinchuan is refused before anything starts',
    (option, value) => {
      const data = mkdtempSync(join(tmpdir(), 'fengcheng-cli-'));
      try {
        const { DATABASE_URL: _url, ...inherited } = process.env;
        const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, option, value], {
          env: { ...inherited, FENGCHENG_DATA_DIR: join(data, 'data') },
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('--scale, --seed and --organisations go with --yinchuan');
        // Nothing was opened: no data folder was made.
        expect(readdirSync(data)).toEqual([]);
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    },
    40_000,
  );
});
