// Storage pools and volumes end to end with the real lxc client: create, set, list volumes, refuse deleting a used pool.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('dir pools: create, configure, use, list volumes, delete', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['storage', 'create', 'fast', 'dir']);
  await d.lxc(['storage', 'set', 'fast', 'rsync.compression', 'false']);
  await d.lxc(['launch', 'busybox', 'c1', '-s', 'fast']);
  await access(join(d.dir, 'storage-pools', 'fast', 'containers', 'default_c1', 'rootfs', 'bin', 'busybox'));
  const vols = JSON.parse((await d.lxc(['storage', 'volume', 'list', 'fast', '--format', 'json'])).stdout) as { name: string; type: string }[];
  assert.deepEqual(vols.map((v) => `${v.type}/${v.name}`).sort(), ['container/c1', `image/${vols.find((v) => v.type === 'image')?.name}`].sort());
  const used = await d.lxc(['storage', 'delete', 'fast'], { allowFail: true });
  assert.match(used.stderr, /in use/);
  const bad = await d.lxc(['storage', 'create', 'x', 'zfs'], { allowFail: true });
  assert.match(bad.stderr, /not supported/);
  const badKey = await d.lxc(['storage', 'create', 'y', 'dir', 'nonsense=1'], { allowFail: true });
  assert.match(badKey.stderr, /nonsense/);
  await d.lxc(['delete', '--force', 'c1']);
  await d.lxc(['image', 'delete', 'busybox']);
  await d.lxc(['storage', 'delete', 'fast']);
  await assert.rejects(access(join(d.dir, 'storage-pools', 'fast')));
  assert.deepEqual((await d.client.server.pools()).map((p) => p.name), ['default']);
});
