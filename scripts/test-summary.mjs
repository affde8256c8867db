// Adds up the per-package vitest JSON reports into one closing line: "N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const folders = rootPackage.workspaces.flatMap((pattern) => {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  return readdir(join(root, parent)).map((name) => `${parent}/${name}`);
});

function readdir(path) {
  return existsSync(path) ? readdirSync(path) : [];
}

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const folder of folders) {
  const report = join(root, folder, '.test-results', 'vitest.json');
  if (!existsSync(report)) {
    missing++;
    continue;
  }
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
  if (process.argv.includes('--clean')) rmSync(report);
}
if (process.argv.includes('--clean')) process.exit(0);
if (missing > 0) console.log(`(${missing} workspace(s) wrote no test report)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
