// lodge image ...: import (unified and split) with aliases and properties, list in every format next to lxc, export, edit, aliases.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';

async function sha256(...files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex');
}

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Imports both test images with lodge and returns their fingerprints. */
async function importBoth(d: TestDaemon): Promise<{ unified: string; split: string }> {
  const img = await busyboxImage();
  const u = await d.lodge(['image', 'import', img.unified, '--alias', 'bb']);
  const s = await d.lodge(['image', 'import', img.meta, img.rootfs, '--alias', 'split', '--alias', 'sp2', '--public', 'os=busybox', 'description=split image']);
  const fp = (out: string): string => /Image imported with fingerprint: ([0-9a-f]{64})/.exec(out)?.[1] ?? '';
  return { unified: fp(u.stdout), split: fp(s.stdout) };
}

async function sameAsLxc(d: TestDaemon, args: string[]): Promise<string> {
  const mine = await d.lodge(args);
  const theirs = await d.lxc(args);
  assert.equal(mine.stdout, theirs.stdout, `lodge ${args.join(' ')} differs from lxc`);
  return mine.stdout;
}

test('imported images list exactly as lxc lists them, in every format and column set', async (t) => {
  const d = await startDaemon(t);
  const fps = await importBoth(d);
  assert.match(fps.unified, /^[0-9a-f]{64}$/);
  assert.match(fps.split, /^[0-9a-f]{64}$/);
  const table = await sameAsLxc(d, ['image', 'list']);
  assert.match(table, /\| bb +\| [0-9a-f]{12} \| no /);
  assert.match(table, /\| sp2 \(1 more\) +\| [0-9a-f]{12} \| yes +\| split image /);
  for (const format of ['csv', 'json', 'yaml', 'compact']) await sameAsLxc(d, ['image', 'list', '--format', format]);
  await sameAsLxc(d, ['image', 'list', '-c', 'lLfFpdasut']);
  await sameAsLxc(d, ['image', 'list', '-c', 'l,F']);
  assert.deepEqual(JSON.parse(await sameAsLxc(d, ['image', 'list', 'description=split.*', '--format', 'json'])).map((i: { fingerprint: string }) => i.fingerprint), [fps.split]);
  await sameAsLxc(d, ['image', 'list', 'public=true']);
  await sameAsLxc(d, ['image', 'list', 'bb']);
  await sameAsLxc(d, ['image', 'list', 'local:', fps.split.slice(0, 8)]);
  await sameAsLxc(d, ['image', 'alias', 'list']);
  await sameAsLxc(d, ['image', 'alias', 'list', '--format', 'yaml']);
  await sameAsLxc(d, ['image', 'show', 'split']);
  const ls = await d.lodge(['image', 'ls', '--format', 'csv', '-c', 'l']);
  assert.equal(ls.stdout, 'bb\nsp2 (1 more)\n');
});

test('exports are written under the names lxc uses and hash to the fingerprint', async (t) => {
  const d = await startDaemon(t);
  const fps = await importBoth(d);
  const dir = await scratch(t);
  const out = await d.lodge(['image', 'export', 'bb'], { cwd: dir });
  assert.equal(out.stdout, 'Image exported successfully!\n');
  assert.equal(await sha256(join(dir, `${fps.unified}.tar.gz`)), fps.unified);
  await d.lodge(['image', 'export', 'split', `${dir}/`]);
  const files = (await readdir(dir)).sort();
  const meta = files.find((f) => f.startsWith('meta-'));
  const rootfs = files.find((f) => f.endsWith('.squashfs'));
  assert.ok(meta && rootfs, files.join(' '));
  assert.equal(await sha256(join(dir, meta), join(dir, rootfs)), fps.split);
  await d.lodge(['image', 'export', fps.split.slice(0, 12), join(dir, 'named')]);
  assert.equal(await sha256(join(dir, 'named'), join(dir, 'named.root')), fps.split);
  await d.lodge(['image', 'export', 'bb', join(dir, 'unified')]);
  assert.equal(await sha256(join(dir, 'unified.tar.gz')), fps.unified);
  const quiet = await d.lodge(['image', 'export', 'bb', join(dir, 'q'), '-q']);
  assert.equal(quiet.stdout, '');
  const bad = await d.lodge(['image', 'export', 'bb', join(dir, 'missing', 'x')], { allowFail: true });
  assert.deepEqual([bad.code, bad.stderr], [1, `Error: open ${join(dir, 'missing', 'x')}: no such file or directory\n`]);
});

test('image info, properties, edit from stdin, aliases and delete', async (t) => {
  const d = await startDaemon(t);
  const fps = await importBoth(d);
  const info = await d.lodge(['image', 'info', 'split']);
  assert.match(info.stdout, new RegExp(`^Fingerprint: ${fps.split}\nSize: 1.00MB\nArchitecture: x86_64\nType: container\nPublic: yes\n`));
  assert.match(info.stdout, /Aliases:\n {4}- s\w+\n {4}- s\w+\n/);
  assert.equal((await d.lodge(['image', 'get-property', 'split', 'os'])).stdout, 'busybox\n');
  await d.lodge(['image', 'set-property', 'split', 'release', 'edge']);
  assert.equal((await d.lxc(['image', 'get-property', 'split', 'release'])).stdout, 'edge\n');
  await d.lodge(['image', 'unset-property', 'split', 'release']);
  const missing = await d.lodge(['image', 'get-property', 'split', 'release'], { allowFail: true });
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error: Property not found\n']);
  await d.lodge(['image', 'edit', 'bb'], { input: 'public: true\nproperties:\n  os: edited\nprofiles:\n- default\n' });
  const shown = await sameAsLxc(d, ['image', 'show', 'bb']);
  assert.match(shown, /properties:\n {2}os: edited\npublic: true\n/);

  await d.lodge(['image', 'alias', 'create', 'extra', fps.unified]);
  await d.lodge(['image', 'alias', 'rename', 'extra', 'renamed']);
  assert.match((await d.lodge(['image', 'alias', 'list', 'renamed'])).stdout, /\| renamed \| [0-9a-f]{12} \| CONTAINER \|/);
  await d.lodge(['image', 'alias', 'rm', 'renamed']);
  assert.doesNotMatch((await d.lodge(['image', 'alias', 'list'])).stdout, /renamed/);

  await d.lodge(['image', 'delete', 'bb', fps.split.slice(0, 10)]);
  assert.equal((await d.lodge(['image', 'list', '--format', 'csv'])).stdout, '');
});

test('re-importing with an existing alias moves the alias; bad imports fail with Error:', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lodge(['image', 'import', img.meta, img.rootfs, '--alias', 'moving']);
  await d.lodge(['image', 'alias', 'create', 'keep', (await d.client.images.alias('moving')).target]);
  const u = await d.lodge(['image', 'import', img.unified, '--alias', 'moving', '-q']);
  assert.equal(u.stdout, '');
  const moving = await d.client.images.alias('moving');
  assert.equal(moving.target, (await d.client.images.list()).find((i) => i.filename === 'busybox.tar.gz')?.fingerprint);
  const again = await d.lodge(['image', 'import', img.unified], { allowFail: true });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^Error: .+\n$/);
  const absent = await d.lodge(['image', 'import', '/nonexistent/image.tar.gz'], { allowFail: true });
  assert.deepEqual([absent.code, absent.stderr], [1, 'Error: open /nonexistent/image.tar.gz: no such file or directory\n']);
  const http = await d.lodge(['image', 'import', 'http://example.invalid/x.tar.gz'], { allowFail: true });
  assert.equal(http.stderr, 'Error: Only https:// is supported for remote image import\n');
});
