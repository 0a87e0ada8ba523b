// Layered instance volumes (dir pool without reflinks): overlay views swapped at start and stop, unshifted upper
// layers, images kept while instances stand on them, and nothing left behind.
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { mountSourceAt, mountsUnder } from '../helpers/mounts.js';
import { run } from '../helpers/run.js';

const pool = (d: TestDaemon): string => join(d.dir, 'storage-pools', 'default');

/**
 * Layers are used where copies would cost bytes and the kernel takes overlay layers as file descriptors
 * (Linux 6.13+): skip where the test directory has reflinks or the kernel is older.
 */
async function reflinks(t: TestContext, dir: string): Promise<boolean> {
  const [major = 0, minor = 0] = release().split('.').map(Number);
  if (major < 6 || (major === 6 && minor < 13)) {
    t.skip(`Linux ${release()} cannot give overlayfs its layers as file descriptors: instances are full copies`);
    return true;
  }
  const tmp = await mkdtemp(join(dir, 'probe-'));
  try {
    await writeFile(join(tmp, 'a'), 'x');
    const ok = await copyFile(join(tmp, 'a'), join(tmp, 'b'), constants.COPYFILE_FICLONE_FORCE).then(
      () => true,
      () => false,
    );
    if (ok) t.skip('the test directory has reflinks: instances are reflinked copies there, not layers');
    return ok;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

test('a layered instance: container view while running, daemon view when stopped, writes land unshifted in its upper layer', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  if (await reflinks(t, d.dir)) return;
  await d.lxc(['launch', 'busybox', 'c1']);
  const rootfs = join(pool(d), 'containers', 'default_c1', 'rootfs');
  const upper = join(pool(d), 'layers', 'containers', 'default_c1', 'upper');
  assert.equal(await mountSourceAt(rootfs), 'lodge-ct');
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo hi > /root/f && chown 1000:1000 /root/f']);
  const st = await stat(join(upper, 'root', 'f'));
  assert.deepEqual([st.uid, st.gid], [1000, 1000], 'the upper layer keeps container ids, as on disk in a flat volume');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout.trim(), '1000:1000');
  // The image's files are not copied: only what the container changed is in its upper layer.
  assert.ok(!(await readdir(upper)).includes('bin'));
  await d.lxc(['stop', '--force', 'c1']);
  assert.equal(await mountSourceAt(rootfs), 'lodge-view');
  assert.equal((await d.lxc(['file', 'pull', 'c1/root/f', '-'])).stdout, 'hi\n');
  await d.lxc(['snapshot', 'c1', 's1']);
  // A snapshot may be named like the file a layered volume keeps its image's fingerprint in (the delete below
  // once failed on it with EISDIR).
  await d.lxc(['snapshot', 'c1', 'image']);
  assert.equal(await mountSourceAt(join(pool(d), 'containers-snapshots', 'default_c1', 's1', 'rootfs')), 'lodge-snap');
  // Reads of a stopped instance (backups, migration) open a view of their own. The daemon's view is away for a
  // moment while a start or a stop swaps views: an export made then still has every file (a migration's final
  // pass once sent an empty rootfs).
  await run('umount', [rootfs]);
  await d.lxc(['export', 'c1', join(d.dir, 'stopped.tar.gz'), '--instance-only']);
  const listing = (await run('tar', ['-tzf', join(d.dir, 'stopped.tar.gz')])).stdout.split('\n');
  for (const f of ['backup/container/rootfs/bin/busybox', 'backup/container/rootfs/root/f']) assert.ok(listing.includes(f), `${f} exported`);
  await d.lxc(['start', 'c1']);
  assert.equal(await mountSourceAt(rootfs), 'lodge-ct');
  // A backup of the running instance reads an unshifted view of its own.
  await d.lxc(['export', 'c1', join(d.dir, 'c1.tar.gz')]);
  await d.lxc(['delete', '--force', 'c1']);
  assert.deepEqual(await mountsUnder(pool(d)), []);
  await d.lxc(['import', join(d.dir, 'c1.tar.gz'), 'back']);
  await d.lxc(['start', 'back']);
  assert.equal((await d.lxc(['exec', 'back', '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout.trim(), '1000:1000');
});

test('an image deleted while layered instances stand on it is kept until the last one goes', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  if (await reflinks(t, d.dir)) return;
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['snapshot', 'c1', 's1']);
  await d.lxc(['copy', 'c1', 'c2']);
  await d.lxc(['image', 'delete', 'busybox']);
  assert.deepEqual(await readdir(join(pool(d), 'images')), []);
  assert.equal((await readdir(join(pool(d), 'images-retired'))).length, 1);
  await d.lxc(['restart', '--force', 'c1']);
  await d.lxc(['start', 'c2']);
  assert.equal((await d.lxc(['exec', 'c2', '--', 'echo', 'ok'])).stdout, 'ok\n');
  await d.lxc(['delete', '--force', 'c1']);
  assert.equal((await readdir(join(pool(d), 'images-retired'))).length, 1, 'c2 still stands on the image');
  // Renamed with its snapshots, then deleted: nothing mounted and nothing left in the pool.
  await d.lxc(['snapshot', 'c2', 'snap']);
  await d.lxc(['stop', '--force', 'c2']);
  await d.lxc(['move', 'c2', 'c3']);
  await d.lxc(['start', 'c3']);
  await d.lxc(['delete', '--force', 'c3']);
  assert.deepEqual(await readdir(join(pool(d), 'images-retired')), []);
  assert.deepEqual(await mountsUnder(pool(d)), []);
  for (const sub of ['containers', 'containers-snapshots', 'layers/containers', 'layers/containers-snapshots']) {
    assert.deepEqual(await readdir(join(pool(d), sub)).catch(() => []), [], sub);
  }
});

test('kill -9 of the daemon with a running layered instance: still running after restart, daemon view back after stop', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  if (await reflinks(t, d.dir)) return;
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['launch', 'busybox', 'c2']);
  await d.kill9();
  // c2 stops while the daemon is away: its container view must not survive the restart.
  await run('lxc-stop', ['-P', join(d.dir, 'containers'), '-n', 'default_c2', '-k'], { allowFail: true });
  await d.start();
  const rootfs = (n: string): string => join(pool(d), 'containers', `default_${n}`, 'rootfs');
  assert.equal(await mountSourceAt(rootfs('c1')), 'lodge-ct');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'echo', 'alive'])).stdout, 'alive\n');
  assert.equal(await mountSourceAt(rootfs('c2')), 'lodge-view');
  await d.lxc(['stop', '--force', 'c1']);
  assert.equal(await mountSourceAt(rootfs('c1')), 'lodge-view');
  await d.lxc(['start', 'c2']);
  assert.equal((await d.lxc(['exec', 'c2', '--', 'echo', 'ok'])).stdout, 'ok\n');
});
