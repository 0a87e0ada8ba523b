// Import-direction rules inside the daemon (architecture.md): checked on the sources, so a violation fails the tests.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}

interface Import {
  from: string;
  to: string;
}

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of sources(srcDir)) {
    const text = readFileSync(file, 'utf8');
    // Type-only imports carry no runtime dependency; they do not count.
    for (const m of text.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"]*from\s+'([^']+)'/gm)) {
      const spec = m[1] ?? '';
      const to = spec.startsWith('.') ? relative(srcDir, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
      out.push({ from: relative(srcDir, file), to });
    }
  }
  return out;
}

const top = (path: string): string => path.split('/')[0] ?? path;
const isDriver = (path: string): boolean => /(^|\/)drivers\//.test(path) || path.startsWith('instance/lxc/');

test('sys and config depend on nothing above them', () => {
  const bad = imports().filter((i) => ['sys', 'config', 'util'].includes(top(i.from)) && i.to.includes('/') && !i.to.startsWith('node:') && !i.to.startsWith('@lodge/') && !['sys', 'config', 'util'].includes(top(i.to)) && !/^[a-z@][^/]*$/.test(i.to));
  assert.deepEqual(bad, []);
});

test('only sys/ starts processes', () => {
  const bad = imports().filter((i) => i.to === 'node:child_process' && top(i.from) !== 'sys');
  assert.deepEqual(bad, []);
});

test('drivers never touch the database, events, operations or http', () => {
  const bad = imports().filter((i) => isDriver(i.from) && ['db', 'events', 'operations', 'http', 'endpoints'].includes(top(i.to)));
  assert.deepEqual(bad, []);
});

test('db, events and operations do not reach up into services or endpoints', () => {
  const lower = ['db', 'events', 'operations'];
  const bad = imports().filter((i) => lower.includes(top(i.from)) && i.to.includes('/') && !lower.includes(top(i.to)) && !['sys', 'config', 'util', 'http'].includes(top(i.to)) && !i.to.startsWith('node:') && !i.to.startsWith('@lodge/'));
  assert.deepEqual(bad, []);
});

test('endpoints are only imported by the composition root, and never call drivers or spawn', () => {
  const bad = imports().filter(
    (i) =>
      (top(i.to) === 'endpoints' && top(i.from) !== 'endpoints' && !['daemon.ts', 'main.ts'].includes(i.from)) ||
      (top(i.from) === 'endpoints' && (isDriver(i.to) || i.to === 'sys/runner.ts')),
  );
  assert.deepEqual(bad, []);
});
