// Backups end to end: export and import with snapshots, and tarballs moving between lodge and a real LXD 5.0.2.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { startLxd } from '../helpers/lxd.js';
import { run } from '../helpers/run.js';

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-backup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('export, delete, import: the container comes back with its snapshots and data', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const dir = await tmp(t);
  await d.lxc(['launch', 'busybox', 'c1', '-c', 'user.kept=yes']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo one > /root/f; chown 1000:1000 /root/f']);
  await d.lxc(['snapshot', 'c1', 's1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo two > /root/f']);
  await d.lxc(['export', 'c1', join(dir, 'c1.tar.gz')]);
  const listing = (await run('tar', ['tzf', join(dir, 'c1.tar.gz')])).stdout.split('\n');
  assert.equal(listing[0], 'backup/index.yaml');
  assert.ok(listing.includes('backup/container/backup.yaml'));
  assert.ok(listing.some((l) => l.startsWith('backup/snapshots/s1/rootfs/')));
  assert.deepEqual(await d.client.get('/1.0/instances/c1/backups'), [], 'lxc export removes its backup');
  await d.lxc(['delete', '--force', 'c1']);
  await d.lxc(['import', join(dir, 'c1.tar.gz')]);
  const c1 = await d.client.get<{ status: string; config: Record<string, string> }>('/1.0/instances/c1');
  assert.equal(c1.status, 'Stopped');
  assert.equal(c1.config['user.kept'], 'yes');
  assert.deepEqual(await d.client.get('/1.0/instances/c1/snapshots'), ['/1.0/instances/c1/snapshots/s1']);
  await d.lxc(['start', 'c1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/root/f'])).stdout, 'two\n');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout.trim(), '1000:1000');
  await d.lxc(['restore', 'c1', 's1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/root/f'])).stdout, 'one\n');
  await d.lxc(['import', join(dir, 'c1.tar.gz'), 'c2']);
  assert.equal((await d.client.get<{ status: string }>('/1.0/instances/c2')).status, 'Stopped');
  const again = await d.lxc(['import', join(dir, 'c1.tar.gz')], { allowFail: true });
  assert.match(again.stderr, /already exists/);
});

test('backups API: named, instance-only, compression, rename, delete, expiry field', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['snapshot', 'c1', 's1']);
  const mk = async (body: object) => (await d.client.operation('POST', '/1.0/instances/c1/backups', body)).wait();
  await mk({ name: 'full', expires_at: '2099-01-01T00:00:00Z' });
  await mk({ name: 'lean', instance_only: true, compression_algorithm: 'xz' });
  const list = await d.client.get<{ name: string; instance_only: boolean; expires_at: string }[]>('/1.0/instances/c1/backups?recursion=1');
  assert.deepEqual(list.map((b) => [b.name, b.instance_only]).sort(), [['full', false], ['lean', true]]);
  assert.equal(list.find((b) => b.name === 'full')?.expires_at, '2099-01-01T00:00:00Z');
  await (await d.client.operation('POST', '/1.0/instances/c1/backups/lean', { name: 'slim' })).wait();
  const res = await d.client.raw('GET', '/1.0/instances/c1/backups/slim/export');
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).subarray(0, 6).toString('hex'), 'fd377a585a00', 'xz magic');
  const dup = await d.client.query('POST', '/1.0/instances/c1/backups', { name: 'full' }).catch((e: Error) => e);
  assert.match(String(dup), /already exists/);
  const bad = await d.client.query('POST', '/1.0/instances/c1/backups', { name: 'a/b' }).catch((e: Error) => e);
  assert.match(String(bad), /slashes/);
  await (await d.client.operation('DELETE', '/1.0/instances/c1/backups/full')).wait();
  assert.deepEqual(await d.client.get('/1.0/instances/c1/backups'), ['/1.0/instances/c1/backups/slim']);
  await d.lxc(['delete', '--force', 'c1']);
  assert.deepEqual(await readdir(join(d.dir, 'backups', 'instances')).catch(() => []), []);
});

test('an unsafe or broken backup tarball is refused and leaves nothing', async (t) => {
  const d = await startDaemon(t);
  const dir = await tmp(t);
  const src = join(dir, 'src');
  await mkdir(join(src, 'backup', 'container', 'rootfs'), { recursive: true });
  await writeFile(join(src, 'backup', 'index.yaml'), 'name: evil\nbackend: dir\npool: default\noptimized: false\noptimized_header: false\ntype: container\n');
  await writeFile(join(src, 'backup', 'container', 'backup.yaml'), 'container:\n  name: evil\n  architecture: x86_64\n  profiles: [default]\n');
  await writeFile(join(dir, 'x'), 'x');
  const evil = join(dir, 'evil.tar');
  await run('tar', ['-cf', evil, '-C', src, 'backup', '-C', dir, '--transform', 's,^x$,backup/container/rootfs/../../../../x,', 'x']);
  const r = await d.lxc(['import', evil], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /\.\./);
  const garbage = join(dir, 'garbage.tar.gz');
  await run('sh', ['-c', `echo not a tarball | gzip > ${garbage}`]);
  const g = await d.lxc(['import', garbage], { allowFail: true });
  assert.notEqual(g.code, 0);
  const noIndex = join(dir, 'noindex.tar');
  await run('tar', ['-cf', noIndex, '-C', dir, 'x']);
  const n = await d.lxc(['import', noIndex], { allowFail: true });
  assert.match(n.stderr, /index\.yaml/);
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
  assert.deepEqual(await readdir(join(d.dir, 'storage-pools', 'default', 'containers')), []);
  assert.deepEqual((await readdir(join(d.dir, 'backups'))).filter((f) => f.startsWith('.import-')), []);
});

test('LXD 5.0.2 and lodge import each other\'s backups', { timeout: 300_000 }, async (t) => {
  const img = await busyboxImage();
  const dir = await tmp(t);
  const lxd = await startLxd(t);
  const d = await (await startDaemon(t)).withBusybox();
  await lxd.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
  await lxd.lxc(['launch', 'busybox', 'fromlxd']);
  await lxd.lxc(['exec', 'fromlxd', '--', 'sh', '-c', 'echo lxd-data > /root/f; chown 1000:1000 /root/f']);
  await lxd.lxc(['snapshot', 'fromlxd', 'snapA']);
  await lxd.lxc(['export', 'fromlxd', join(dir, 'lxd.tar.gz')]);
  await d.lxc(['import', join(dir, 'lxd.tar.gz')]);
  await d.lxc(['start', 'fromlxd']);
  assert.equal((await d.lxc(['exec', 'fromlxd', '--', 'cat', '/root/f'])).stdout, 'lxd-data\n');
  assert.equal((await d.lxc(['exec', 'fromlxd', '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout.trim(), '1000:1000');
  assert.deepEqual(await d.client.get('/1.0/instances/fromlxd/snapshots'), ['/1.0/instances/fromlxd/snapshots/snapA']);

  await d.lxc(['launch', 'busybox', 'fromlodge']);
  await d.lxc(['exec', 'fromlodge', '--', 'sh', '-c', 'echo lodge-data > /root/g; chown 1000:1000 /root/g']);
  await d.lxc(['snapshot', 'fromlodge', 'snapB']);
  await d.lxc(['export', 'fromlodge', join(dir, 'lodge.tar.gz')]);
  await lxd.lxc(['import', join(dir, 'lodge.tar.gz')]);
  await lxd.lxc(['start', 'fromlodge']);
  assert.equal((await lxd.lxc(['exec', 'fromlodge', '--', 'cat', '/root/g'])).stdout, 'lodge-data\n');
  assert.equal((await lxd.lxc(['exec', 'fromlodge', '--', 'stat', '-c', '%u:%g', '/root/g'])).stdout.trim(), '1000:1000');
  assert.match((await lxd.lxc(['info', 'fromlodge'])).stdout, /snapB/);
});
