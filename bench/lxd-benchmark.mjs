#!/usr/bin/env node
// LXD's own benchmark tool (lxd-benchmark, Debian lxd-tools) against lodged and LXD 5.0.2 side by side:
// launch, stop, start, stop, delete of N busybox containers in batches, rounds alternating which daemon goes first.
// Usage: node bench/lxd-benchmark.mjs [--count N] [--parallel P] [--rounds R] [--write]
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startLodge, startLxd, stopDaemon } from './lib/daemons.mjs';
import { imageFiles } from './lib/images.mjs';
import { median, run } from './lib/proc.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    write: { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);
const phases = ['launch', 'stop', 'start', 'stop-again', 'delete'];

/** One round on one daemon: every phase through lxd-benchmark, elapsed ms read back from its CSV report. */
async function round(d, dir, i) {
  const report = join(dir, `${d.name}-${i}.csv`);
  const common = ['--parallel', values.parallel, '--report-file', report];
  for (const phase of phases) {
    const action = phase === 'stop-again' ? 'stop' : phase;
    const args = action === 'launch' ? ['launch', '--count', values.count, ...common, '--report-label', phase, 'busybox'] : [action, ...common, '--report-label', phase];
    await run('lxd-benchmark', args, { env: d.env, timeoutMs: 900_000 });
  }
  const rows = (await readFile(report, 'utf8')).trim().split('\n').slice(1);
  return Object.fromEntries(rows.map((r) => r.split(',')).map(([, elapsed, label, , ok]) => [label, ok === 'true' ? Number(elapsed) : NaN]));
}

function table(results) {
  const rows = phases.map((p) => {
    const r = results[p];
    return `| ${p} | ${r.lodge.toFixed(0)} | ${r.lxd.toFixed(0)} | ${(r.lodge / r.lxd).toFixed(2)} |`;
  });
  return [`| lxd-benchmark phase (${values.count} containers, parallel ${values.parallel}) | lodge median (ms) | LXD median (ms) | lodge/LXD |`, '|---|---|---|---|', ...rows].join('\n');
}

const base = await mkdtemp(join(tmpdir(), 'lodge-lxdbench-'));
await chmod(base, 0o711);
const images = await imageFiles(base, { debian: false });
const lodge = await startLodge(base);
const lxd = await startLxd(base);
const samples = { lodge: [], lxd: [] };
try {
  for (const d of [lodge, lxd]) await d.lxc(['image', 'import', images.busybox, '--alias', 'busybox']);
  for (let i = 0; i < Number(values.rounds); i++) {
    for (const d of i % 2 === 0 ? [lodge, lxd] : [lxd, lodge]) {
      const r = await round(d, base, i);
      samples[d.name].push(r);
      log(`round ${i} ${d.name}: ${phases.map((p) => `${p} ${r[p]} ms`).join(', ')}`);
    }
  }
} finally {
  await stopDaemon(lodge).catch((e) => log(`lodge cleanup: ${e.message}`));
  await stopDaemon(lxd).catch((e) => log(`LXD cleanup: ${e.message}`));
  await rm(base, { recursive: true, force: true });
}

const results = Object.fromEntries(phases.map((p) => [p, { lodge: median(samples.lodge.map((s) => s[p])), lxd: median(samples.lxd.map((s) => s[p])) }]));
const text = table(results);
process.stdout.write(`${text}\n`);
if (values.write) {
  const date = new Date().toISOString().slice(0, 10);
  const lxdVersion = (await run('lxd', ['--version'])).stdout.trim();
  const readme = join(repo, 'bench', 'README.md');
  const section = `<!-- lxd-benchmark:start -->\nMeasured ${date} against LXD ${lxdVersion}, median of ${values.rounds} rounds:\n\n${text}\n<!-- lxd-benchmark:end -->`;
  await writeFile(readme, (await readFile(readme, 'utf8')).replace(/<!-- lxd-benchmark:start -->[\s\S]*<!-- lxd-benchmark:end -->/, section));
}
