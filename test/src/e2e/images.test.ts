// Images end to end with the real lxc client: import, list, export, aliases, partial fingerprints, unsafe tarballs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { run } from '../helpers/run.js';
import { tmpDir } from '../helpers/tmp.js';

const sha256 = async (...files: string[]) => {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex');
};

test('unified and split images import with the fingerprints LXD computes, and export byte for byte', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  const out = await d.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
  const fp = await sha256(img.unified);
  assert.match(out.stdout, new RegExp(fp));
  const split = await d.lxc(['image', 'import', img.meta, img.rootfs, '--alias', 'bb-split']);
  const splitFp = await sha256(img.meta, img.rootfs);
  assert.match(split.stdout, new RegExp(splitFp));

  const list = JSON.parse((await d.lxc(['image', 'list', '--format', 'json'])).stdout) as { fingerprint: string; aliases: { name: string }[]; type: string }[];
  assert.deepEqual(list.map((i) => i.fingerprint).sort(), [fp, splitFp].sort());
  assert.equal(list.find((i) => i.fingerprint === fp)?.aliases[0]?.name, 'busybox');
  assert.ok(list.every((i) => i.type === 'container'));

  const dir = await tmpDir(t, 'lodge-imgtest-');
  await d.lxc(['image', 'export', 'busybox', join(dir, 'u')]);
  assert.equal(await sha256(join(dir, 'u.tar.gz')), fp);
  await d.lxc(['image', 'export', 'bb-split', join(dir, 's')]);
  const files = (await readdir(dir)).filter((f) => f.startsWith('s')).sort();
  assert.equal(files.length, 2);
  assert.equal(await sha256(join(dir, files[0]!), join(dir, files[1]!)), splitFp);
  const info = (await d.lxc(['image', 'info', 'bb-split'])).stdout;
  assert.match(info, /Fingerprint: [0-9a-f]{64}/);
  assert.match(info, /os: busybox/);
});

test('properties header, partial fingerprints, ambiguity, duplicates, edits and delete', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified, '--alias', 'one', 'os=Custom', 'extra=yes']);
  const fp = await sha256(img.unified);
  const shown = (await d.lxc(['image', 'show', fp.slice(0, 8)])).stdout;
  assert.match(shown, /os: Custom/);
  assert.match(shown, /extra: "?yes"?/);
  const dup = await d.lxc(['image', 'import', img.unified], { allowFail: true });
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /already exists/);
  await d.lxc(['image', 'import', img.meta, img.rootfs]);
  const res = await d.client.transport.request({ method: 'GET', path: '/1.0/images/' });
  res.resume();
  const notHex = await d.client.query('GET', '/1.0/images/zzzz').catch((e: Error) => e);
  assert.match(String(notHex), /Image not found/);
  // Both fingerprints start with some hex digit; find a prefix shared by both, if any.
  const other = (await d.client.images.list()).map((i) => i.fingerprint).find((f) => f !== fp)!;
  let common = 0;
  while (fp[common] === other[common]) common++;
  if (common > 0) await assert.rejects(d.client.images.get(fp.slice(0, common)), /More than one image matches/);
  await assert.rejects(d.client.images.get(''.padEnd(64, 'f')), /Image not found/);

  const { image, etag } = await d.client.images.get(fp);
  await assert.rejects(d.client.images.update(fp, { ...image, public: true }, 'stale'), /ETag doesn't match/);
  await d.client.images.update(fp, { ...image, public: true, properties: { os: 'Renamed' } }, etag);
  assert.equal((await d.client.images.get(fp)).image.properties.os, 'Renamed');
  await d.lxc(['image', 'delete', 'one']);
  assert.equal((await d.client.images.list()).length, 1);
  assert.deepEqual(await d.client.images.aliases(), []);
  assert.equal((await readdir(join(d.dir, 'images'))).filter((f) => f.startsWith(fp)).length, 0);
});

test('aliases: create, duplicate, rename, retarget, names with slashes, delete', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified]);
  await d.lxc(['image', 'import', img.meta, img.rootfs]);
  const [a, b] = (await d.client.images.list()).map((i) => i.fingerprint) as [string, string];
  await d.lxc(['image', 'alias', 'create', 'debian/12', a]);
  const dup = await d.lxc(['image', 'alias', 'create', 'debian/12', b], { allowFail: true });
  assert.match(dup.stderr, /already exists/);
  await d.lxc(['image', 'alias', 'rename', 'debian/12', 'stable']);
  const res = await d.client.query('PUT', '/1.0/images/aliases/stable', { target: b, description: 'moved' });
  assert.equal(res.status, 200);
  const alias = await d.client.images.alias('stable');
  assert.equal(alias.target, b);
  assert.equal(alias.description, 'moved');
  const missing = await d.lxc(['image', 'alias', 'create', 'x', 'ffffffff'], { allowFail: true });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not found/i);
  await d.lxc(['image', 'alias', 'delete', 'stable']);
  assert.deepEqual(await d.client.images.aliases(), []);
});

async function tarball(dir: string, name: string, build: (root: string) => Promise<void>, extra: string[] = []): Promise<string> {
  const root = join(dir, `${name}-src`);
  await mkdir(root, { recursive: true });
  await build(root);
  const out = join(dir, `${name}.tar.gz`);
  await run('tar', ['-czf', out, '-C', root, ...extra, '.']);
  return out;
}

const meta = 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: test\n';

test('unsafe or invalid tarballs are refused with a clear error and leave nothing behind', async (t) => {
  const d = await startDaemon(t);
  const dir = await tmpDir(t, 'lodge-imgtest-');
  const cases: [string, string, RegExp][] = [
    ['no-meta', await tarball(dir, 'no-meta', async (r) => mkdir(join(r, 'rootfs'))), /missing metadata\.yaml/],
    ['no-date', await tarball(dir, 'no-date', async (r) => {
      await writeFile(join(r, 'metadata.yaml'), 'architecture: x86_64\n');
      await mkdir(join(r, 'rootfs'));
    }), /Missing creation date/],
    ['link-out', await tarball(dir, 'link-out', async (r) => {
      await writeFile(join(r, 'metadata.yaml'), meta);
      await mkdir(join(r, 'rootfs'));
      await symlink('../../../../etc/shadow', join(r, 'rootfs', 'evil'));
    }), /points outside/],
    ['abs-meta-link', await tarball(dir, 'abs-meta-link', async (r) => {
      await symlink('/etc/passwd', join(r, 'metadata.yaml'));
      await mkdir(join(r, 'rootfs'));
    }), /points outside/],
  ];
  // A member named with "..": built with tar's --transform, since the filesystem cannot hold it.
  const dotdot = join(dir, 'dotdot.tar.gz');
  const src = join(dir, 'dd');
  await mkdir(join(src, 'rootfs'), { recursive: true });
  await writeFile(join(src, 'metadata.yaml'), meta);
  await writeFile(join(src, 'x'), 'x');
  await run('tar', ['-czf', dotdot, '-C', src, '--transform', 's,^x$,rootfs/../../x,', 'metadata.yaml', 'rootfs', 'x']);
  cases.push(['dotdot', dotdot, /contains "\.\."/]);
  const abs = join(dir, 'abs.tar');
  await run('tar', ['-cf', abs, '-C', src, '-P', '--transform', 's,^x$,/tmp/lodge-abs-x,', 'metadata.yaml', 'x']);
  cases.push(['absolute', abs, /absolute path/]);

  for (const [name, file, re] of cases) {
    const r = await d.lxc(['image', 'import', file], { allowFail: true });
    assert.notEqual(r.code, 0, name);
    assert.match(r.stderr, re, name);
  }
  assert.deepEqual(await d.client.images.list(), []);
  assert.deepEqual(await readdir(join(d.dir, 'images')), []);
  const garbage = join(dir, 'garbage');
  await writeFile(garbage, 'not an image at all');
  const g = await d.lxc(['image', 'import', garbage], { allowFail: true });
  assert.match(g.stderr, /not a tarball/);
});

test('an image upload whose X-LXD-fingerprint does not match is refused', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  const res = await d.client.raw('POST', '/1.0/images', await readFile(img.unified), {
    headers: { 'Content-Type': 'application/octet-stream', 'X-LXD-fingerprint': 'ab'.repeat(32) },
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const op = await d.client.track(JSON.parse(Buffer.concat(chunks).toString()).metadata);
  await assert.rejects(op.wait(), /fingerprints don't match/);
  assert.deepEqual(await readdir(join(d.dir, 'images')), []);
});

test('image files no record refers to (a crash between record and files) are removed when lodged starts', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified, '--alias', 'kept']);
  const kept = (await d.client.get<string[]>('/1.0/images')).map((u) => u.split('/').pop()!);
  const orphan = createHash('sha256').update('left by a crash').digest('hex');
  await writeFile(join(d.dir, 'images', orphan), 'x');
  await writeFile(join(d.dir, 'images', `${orphan}.rootfs`), 'y');
  await d.kill9();
  await d.start();
  const files = await readdir(join(d.dir, 'images'));
  assert.deepEqual(files.filter((f) => f.startsWith(orphan)), []);
  assert.ok(files.includes(kept[0]!), 'the imported image keeps its file');
  assert.match(d.log, /Removed image files no image refers to/);
  await d.lxc(['launch', 'kept', 'c1']);
});
