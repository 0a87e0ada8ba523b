#!/usr/bin/env node
// Side-by-side benchmarks: lodged vs LXD 5.0.2 (Debian's lxd), same `lxc` client, same machine, alternating runs.
// Usage: node bench/run.mjs [--rounds N] [--only substring,...] [--no-debian] [--fs host|btrfs] [--write]
// --write stores results in bench/results/ and the table for that filesystem in bench/README.md; with --only,
// the other cases keep the figures of the same day's earlier run.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pairUp, startLodge, startLxd, stopDaemon } from './lib/daemons.mjs';
import { run } from './lib/proc.mjs';
import { markdownTable, runCase } from './lib/suite.mjs';
import { instanceCases } from './cases/instances.mjs';
import { migrationCases } from './cases/migration.mjs';
import { snapshotCases } from './cases/snapshots.mjs';
import { imageFiles } from './lib/images.mjs';
import { scratchBase } from './lib/scratch.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    only: { type: 'string' },
    'no-debian': { type: 'boolean', default: false },
    fs: { type: 'string', default: 'host' },
    write: { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);

const { base, cleanup } = await scratchBase(values.fs);
const images = await imageFiles(base, { debian: !values['no-debian'] });
const only = values.only?.split(',');
const cases = [...instanceCases({ debian: Boolean(images.debian) }), ...snapshotCases({ debian: Boolean(images.debian) }), ...migrationCases()].filter(
  (c) => !only || only.some((o) => c.name.includes(o)),
);
const lodge = await startLodge(base);
const lxd = await startLxd(base);
const daemons = [lodge, lxd];
const results = [];
try {
  // Cases across two servers get a second daemon of each kind, reachable as remotes src: and dst:.
  if (cases.some((c) => c.pair)) {
    const [lodge2, lxd2] = [await startLodge(base, '-2'), await startLxd(base, '-2')];
    daemons.push(lodge2, lxd2);
    await pairUp(lodge, lodge2, base);
    await pairUp(lxd, lxd2, base);
  }
  for (const d of [lodge, lxd]) {
    await d.lxc(['image', 'import', images.busybox, '--alias', 'busybox']);
    if (images.debian) await d.lxc(['image', 'import', images.debian.meta, images.debian.rootfs, '--alias', 'debian'], { timeoutMs: 600_000 });
  }
  for (const c of cases) results.push(await runCase(c, lodge, lxd, Number(values.rounds), log));
} finally {
  for (const d of daemons) await stopDaemon(d).catch((e) => log(`${d.name} cleanup: ${e.message}`));
  await cleanup();
}

process.stdout.write(`${markdownTable(results)}\n`);
if (values.write) {
  const date = new Date().toISOString().slice(0, 10);
  const lxdVersion = (await run('lxd', ['--version'])).stdout.trim();
  await mkdir(join(repo, 'bench', 'results'), { recursive: true });
  const fsName = values.fs === 'host' ? (await run('findmnt', ['-n', '-o', 'FSTYPE', '--target', tmpdir()])).stdout.trim() : values.fs;
  const file = join(repo, 'bench', 'results', `${date}-${values.fs}.json`);
  // With --only, the cases not run keep the figures of the same day's earlier run.
  const earlier = only ? JSON.parse(await readFile(file, 'utf8').catch(() => '{"results":[]}')).results : [];
  const merged = [...earlier.map((r) => results.find((x) => x.name === r.name) ?? r), ...results.filter((x) => !earlier.some((r) => r.name === x.name))];
  await writeFile(file, JSON.stringify({ date, lxdVersion, fs: fsName, results: merged }, null, 2));
  const table = markdownTable(merged);
  const readme = join(repo, 'bench', 'README.md');
  const text = await readFile(readme, 'utf8');
  const mark = values.fs === 'host' ? 'results' : `results-${values.fs}`;
  const section = `<!-- ${mark}:start -->\nMeasured ${date} against LXD ${lxdVersion}, both daemons on ${fsName}, median of alternating runs per case (how many: the runs column):\n\n${table}\n<!-- ${mark}:end -->`;
  await writeFile(readme, text.replace(new RegExp(`<!-- ${mark}:start -->[\\s\\S]*<!-- ${mark}:end -->`), section));
}
