import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module without types, shared with every service's prestart
import { bundleService } from '../bundle-service.mjs';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

describe('bundle-service', () => {
  const out = mkdtempSync(join(tmpdir(), 'fengcheng-bundle-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("keeps the EventStoreDB client out of a service's main module, in a chunk loaded on demand", async () => {
    await bundleService(join(REPO_ROOT, 'services', 'ingest-api', 'src', 'main.ts'), join(out, 'main.mjs'));
    const files = readdirSync(out).filter((file) => file.endsWith('.mjs'));
    expect(files).toContain('main.mjs');
    const imports = (file: string) =>
      readFileSync(join(out, file), 'utf8').includes('"@eventstore/db-client"');
    expect(imports('main.mjs')).toBe(false);
    expect(files.filter((file) => file !== 'main.mjs' && imports(file))).toHaveLength(1);
  }, 60_000);
});
