// File push/pull end to end, on running and stopped containers, including attempts to escape to the host.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

async function hostMarker(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-marker-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'marker');
  await writeFile(file, 'host-original');
  return { dir, file };
}

test('push and pull round trips keep content, mode and ownership; directories and -r work', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const dir = await mkdtemp(join(tmpdir(), 'lodge-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  await writeFile(join(dir, 'bin'), data);
  await d.lxc(['file', 'push', join(dir, 'bin'), 'c1/root/bin', '--mode', '0640', '--uid', '1000', '--gid', '1001']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'stat', '-c', '%a %u %g %s', '/root/bin'])).stdout.trim(), `640 1000 1001 ${data.length}`);
  await d.lxc(['file', 'pull', 'c1/root/bin', join(dir, 'back')]);
  assert.deepEqual(await readFile(join(dir, 'back')), data);
  await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
  await writeFile(join(dir, 'tree', 'sub', 'f'), 'nested');
  await d.lxc(['file', 'push', '-r', join(dir, 'tree'), 'c1/root/']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/root/tree/sub/f'])).stdout, 'nested');
  await d.lxc(['file', 'push', '-p', join(dir, 'bin'), 'c1/a/b/c/bin']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'wc', '-c', '/a/b/c/bin'])).stdout.trim().split(' ')[0], String(data.length));
  await d.lxc(['file', 'delete', 'c1/a/b/c/bin']);
  const gone = await d.lxc(['exec', 'c1', '--', 'test', '-e', '/a/b/c/bin'], { allowFail: true });
  assert.equal(gone.code, 1);
  await d.lxc(['stop', 'c1', '--force']);
  await d.lxc(['file', 'push', join(dir, 'bin'), 'c1/root/offline']);
  await d.lxc(['file', 'pull', 'c1/root/offline', join(dir, 'offline')]);
  assert.deepEqual(await readFile(join(dir, 'offline')), data);
  const missing = await d.lxc(['file', 'pull', 'c1/no/such/file', join(dir, 'x')], { allowFail: true });
  assert.notEqual(missing.code, 0);
});

test('symlinks and ".." never reach host files, running or stopped', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const marker = await hostMarker(t);
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', `ln -s ${marker.file} /root/abs; ln -s ../../../../../../..${marker.file} /root/rel; ln -s ${marker.dir} /root/dirlink`]);
  for (const running of [true, false]) {
    if (!running) await d.lxc(['stop', 'c1', '--force']);
    for (const path of ['/root/abs', '/root/rel', '/root/dirlink/marker', `/../../../../..${marker.file}`]) {
      const pushed = await d.lxc(['file', 'push', '-', `c1${path}`], { input: 'pwned', allowFail: true });
      void pushed;
      assert.equal(await readFile(marker.file, 'utf8'), 'host-original', `${path} (running: ${running})`);
      const pulled = await d.lxc(['file', 'pull', `c1${path}`, '-'], { allowFail: true });
      assert.ok(!pulled.stdout.includes('host-original'), `${path} read the host file (running: ${running})`);
    }
  }
});

test('a FIFO in the container never hangs the daemon', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'mkfifo', '/root/fifo']);
  const t0 = Date.now();
  const r = await d.lxc(['file', 'pull', 'c1/root/fifo', '-'], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.ok(Date.now() - t0 < 5000);
  const w = await d.lxc(['file', 'push', '-', 'c1/root/fifo'], { input: 'x', allowFail: true });
  assert.notEqual(w.code, 0);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'true'])).code, 0);
});
