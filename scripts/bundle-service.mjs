#!/usr/bin/env node
/**
 * Bundles a service's TypeScript into one ES module, `dist/main.mjs` beside its `src/`, with a
 * source map: the workspace packages (@fengcheng/*) are compiled in, everything from
 * node_modules stays an import. A service then runs on plain `node`, without tsx's loader
 * thread and its transform cache in every process (27 MB of the ingest API's resident memory
 * under batch load, 177 → 150 MB). Each service's `prestart` runs it, so a start never runs
 * stale code; it takes well under a second. A dynamic `import()` stays lazy: its module goes
 * into a chunk of its own beside `main.mjs` (the EventStoreDB adapter and its gRPC client load
 * only when EVENTSTORE_URL is set; hoisted into the bundle they cost every idle service 7-14 MB).
 *
 * Beside a service's bundle it writes `dist/node-flags`: the node flags of the service's start
 * script (`node <flags> dist/main.mjs`: heap caps, source maps), for whatever starts the bundle
 * without npm — the container image and the bench — to run it the way `npm start` does.
 *
 *   node scripts/bundle-service.mjs [entry.ts] [outfile.mjs]   (default: src/main.ts → dist/main.mjs, from the cwd)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles `entry` into `outfile` (an `.mjs` file; its chunks go beside it), both resolved from
 * the working directory. Each file is written aside and renamed into place, so a second start
 * of the same service bundling at the same moment never loads half a file.
 */
export async function bundleService(entry = 'src/main.ts', outfile = 'dist/main.mjs') {
  const target = resolve(outfile);
  const { outputFiles } = await build({
    write: false,
    entryPoints: { [basename(target, '.mjs')]: resolve(entry) },
    outdir: dirname(target),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [
      {
        name: 'node-modules-external',
        setup(builder) {
          // Bare imports other than the workspace's own packages load from node_modules at run time.
          builder.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@fengcheng/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  // The entry last: the chunks it imports (named by their content) are in place before it is.
  const isEntry = (file) => (file.path === target ? 1 : 0);
  for (const file of [...outputFiles].sort((a, b) => isEntry(a) - isEntry(b)))
    writeInPlace(file.path, file.contents);
  // A service's bundle (`<service>/dist/main.mjs` of a package with a start script): its flags beside it.
  const manifest = join(dirname(target), '..', 'package.json');
  if (basename(target) === 'main.mjs' && basename(dirname(target)) === 'dist' && existsSync(manifest)) {
    const flags = startFlags(manifest);
    if (flags) writeInPlace(join(dirname(target), 'node-flags'), `${flags.join(' ')}\n`);
  }
}

/**
 * The flags of a package's start script, `node <flags> dist/main.mjs`; undefined when it has no
 * start script. Any other form of start script is refused: the flags could not be told apart.
 */
function startFlags(manifestPath) {
  const start = JSON.parse(readFileSync(manifestPath, 'utf8')).scripts?.start;
  if (start === undefined) return undefined;
  const words = start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.mjs') {
    throw new Error(`${manifestPath}: start script is not "node <flags> dist/main.mjs": ${start}`);
  }
  return words.slice(1, -1);
}

/** Written aside and renamed into place, so a reader never sees half a file. */
function writeInPlace(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, path);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundleService(process.argv[2], process.argv[3]);
}
