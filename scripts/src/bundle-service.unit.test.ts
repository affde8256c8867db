import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  /** A package with a start script and a one-line entry, bundled into its own dist/. */
  async function bundlePackage(start: string) {
    const dir = mkdtempSync(join(out, 'service-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'main.ts'), "console.log('started');\n");
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'service', scripts: { start } }));
    await bundleService(join(dir, 'src', 'main.ts'), join(dir, 'dist', 'main.mjs'));
    return readFileSync(join(dir, 'dist', 'node-flags'), 'utf8');
  }

  it("writes the start script's node flags beside a service's bundle, for what starts it without npm", async () => {
    expect(await bundlePackage('node --enable-source-maps --max-old-space-size=64 dist/main.mjs')).toBe(
      '--enable-source-maps --max-old-space-size=64\n',
    );
    expect(await bundlePackage('node dist/main.mjs')).toBe('\n');
    await expect(bundlePackage('tsx src/main.ts')).rejects.toThrow(
      /start script is not "node <flags> dist\/main.mjs"/,
    );
  }, 60_000);

  it("starts every service of the container image with its start script's flags", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'infra', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/for service in ingest-api projector query-api all-in-one;/);
    expect(dockerfile).toContain('node ../../scripts/bundle-service.mjs');
    expect(dockerfile).toContain(
      `exec node $(cat services/\${FENGCHENG_SERVICE}/dist/node-flags) services/\${FENGCHENG_SERVICE}/dist/main.mjs`,
    );
    for (const service of ['ingest-api', 'projector', 'query-api', 'all-in-one']) {
      const { scripts } = JSON.parse(
        readFileSync(join(REPO_ROOT, 'services', service, 'package.json'), 'utf8'),
      );
      expect(scripts.start, service).toMatch(/^node( --[a-z-]+(=[0-9]+)?)* dist\/main\.mjs$/);
    }
  });
});
