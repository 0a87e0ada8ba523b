#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, end-to-end tests under test/) with node:test.
// Usage: node scripts/run-tests.mjs [substring ...]   (only files whose path contains one of them)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const roots = ['packages/api/dist', 'packages/client/dist', 'packages/cli/dist', 'packages/daemon/dist', 'test/dist'];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
}

const files = [];
for (const r of roots) walk(join(root, r), files);
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('No test files found (run the build first).');
  process.exit(1);
}
console.error(`Running ${selected.length} test files:\n  ${selected.map((f) => relative(root, f)).join('\n  ')}`);
const concurrency = process.env.LODGE_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
