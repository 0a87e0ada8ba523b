// Instance lifecycle end to end with the real lxc client: launch, stop/start/restart/freeze, rename, delete, ephemeral, bad input.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Operation } from '@lodge/api';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

async function status(d: TestDaemon, name: string): Promise<string> {
  return (await d.client.get<{ status: string }>(`/1.0/instances/${name}`)).status;
}

test('launch, list, stop, start, restart, pause, rename, delete leave nothing behind', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  assert.equal(await status(d, 'c1'), 'Running');
  const list = JSON.parse((await d.lxc(['list', '--format', 'json'])).stdout) as { name: string; status: string; state: { pid: number } }[];
  assert.equal(list[0]?.name, 'c1');
  assert.ok((list[0]?.state.pid ?? 0) > 1);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'hostname'])).stdout.trim(), 'c1');
  await d.lxc(['stop', 'c1', '--force']);
  assert.equal(await status(d, 'c1'), 'Stopped');
  await d.lxc(['start', 'c1']);
  await d.lxc(['restart', 'c1', '--force']);
  assert.equal(await status(d, 'c1'), 'Running');
  await d.lxc(['pause', 'c1']);
  assert.equal(await status(d, 'c1'), 'Frozen');
  const exec = await d.lxc(['exec', 'c1', '--', 'true'], { allowFail: true });
  assert.match(exec.stderr, /frozen/i);
  await d.lxc(['start', 'c1']);
  assert.equal(await status(d, 'c1'), 'Running');
  const del = await d.lxc(['delete', 'c1'], { allowFail: true });
  assert.notEqual(del.code, 0);
  const ren = await d.lxc(['rename', 'c1', 'c2'], { allowFail: true });
  assert.match(ren.stderr, /running/i);
  await d.lxc(['stop', 'c1', '--force']);
  await d.lxc(['rename', 'c1', 'c2']);
  await d.lxc(['start', 'c2']);
  assert.equal((await d.lxc(['exec', 'c2', '--', 'true'])).code, 0);
  await d.lxc(['delete', 'c2', '--force']);
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
  assert.deepEqual(await readdir(join(d.dir, 'storage-pools', 'default', 'containers')), []);
  assert.deepEqual(await readdir(join(d.dir, 'containers')), []);
  assert.deepEqual((await readdir(join(d.dir, 'logs'))).filter((f) => f !== 'lodged.log'), []);
});

test('init creates a stopped instance; the legacy /1.0/containers path and recursion levels work', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['init', 'busybox', 'c1', '-c', 'user.note=hi']);
  assert.equal(await status(d, 'c1'), 'Stopped');
  assert.deepEqual(await d.client.get('/1.0/containers'), ['/1.0/containers/c1']);
  const full = await d.client.get<{ state: { status: string }; expanded_devices: Record<string, unknown>; config: Record<string, string> }>('/1.0/instances/c1?recursion=1');
  assert.equal(full.state.status, 'Stopped');
  assert.ok(full.expanded_devices.root);
  assert.equal(full.config['user.note'], 'hi');
  assert.equal(full.config['image.os'], 'busybox');
  assert.match(full.config['volatile.base_image'] ?? '', /^[0-9a-f]{64}$/);
  const info = (await d.lxc(['info', 'c1'])).stdout;
  assert.match(info, /Status: STOPPED/);
});

test('an ephemeral instance is gone once stopped, but survives a restart', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'e1', '--ephemeral']);
  // As LXD: a restart is not a stop that deletes it.
  await d.lxc(['restart', 'e1', '--force']);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await d.client.get<{ status: string }>('/1.0/instances/e1')).status, 'Running');
  await d.lxc(['stop', 'e1', '--force']);
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
  // Also when it powers off from inside: the post-stop hook tells the daemon.
  await d.lxc(['launch', 'busybox', 'e2', '--ephemeral']);
  await d.lxc(['exec', 'e2', '--', 'poweroff', '-f'], { allowFail: true });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await d.client.get<string[]>('/1.0/instances')).length > 0) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
});

test('bad names, unknown images, bad config and bad devices are refused and leave nothing', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  for (const name of ['-bad', 'bad-', '1abc', 'a_b', 'a.b', 'x'.repeat(64)]) {
    const r = await d.lxc(['init', 'busybox', '--', name], { allowFail: true });
    assert.notEqual(r.code, 0, name);
    assert.match(r.stderr, /name/i, name);
  }
  const cases: [string[], RegExp][] = [
    [['init', 'nosuchimage', 'c1'], /not found/i],
    [['init', 'busybox', 'c1', '-c', 'limits.memory=lots'], /limits\.memory/],
    [['init', 'busybox', 'c1', '-c', 'nonsense.key=1'], /nonsense\.key/],
    [['init', 'busybox', 'c1', '-d', 'root,size=1GiB'], /size/],
  ];
  for (const [args, re] of cases) {
    const r = await d.lxc(args, { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  const dev = await d.client
    .query('POST', '/1.0/instances', { name: 'c2', source: { type: 'image', alias: 'busybox' }, devices: { data: { type: 'disk', source: '/nonexistent/path', path: '/mnt' } } })
    .then(async (r) => (await d.client.track(r.metadata as never)).wait())
    .catch((e: Error) => e);
  assert.match(String(dev), /doesn't exist/);
  const dup = await d.lxc(['init', 'busybox', 'c3']);
  assert.equal(dup.code, 0);
  const again = await d.lxc(['init', 'busybox', 'c3'], { allowFail: true });
  assert.match(again.stderr, /already exists/);
  assert.deepEqual(await d.client.get('/1.0/instances'), ['/1.0/instances/c3']);
  assert.deepEqual(await readdir(join(d.dir, 'storage-pools', 'default', 'containers')), ['default_c3']);
});

test('kill -9 of the daemon leaves containers running and manageable after restart', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const pid = (await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid;
  await d.kill9();
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(pid > 1);
  process.kill(pid, 0);
  await d.start();
  assert.equal(await status(d, 'c1'), 'Running');
  assert.equal((await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid, pid);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'echo', 'still here'])).stdout.trim(), 'still here');
  await d.lxc(['stop', 'c1', '--force']);
  assert.equal(await status(d, 'c1'), 'Stopped');
});

test('boot.autostart starts the instance when the daemon starts', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['init', 'busybox', 'auto', '-c', 'boot.autostart=true']);
  await d.lxc(['init', 'busybox', 'manual']);
  await d.restart();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await status(d, 'auto')) !== 'Running') await new Promise((r) => setTimeout(r, 100));
  assert.equal(await status(d, 'auto'), 'Running');
  assert.equal(await status(d, 'manual'), 'Stopped');
});

test('two daemons on one host run containers with the same name without colliding', async (t) => {
  const a = await (await startDaemon(t)).withBusybox();
  const b = await (await startDaemon(t)).withBusybox();
  await a.lxc(['launch', 'busybox', 'same']);
  await b.lxc(['launch', 'busybox', 'same']);
  assert.equal(await status(a, 'same'), 'Running');
  assert.equal(await status(b, 'same'), 'Running');
  await a.lxc(['stop', 'same', '--force']);
  assert.equal(await status(b, 'same'), 'Running');
});

test('an ephemeral container powering off while a backup holds it is still removed once the backup is done', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'e1', '--ephemeral']);
  // Enough data that the backup is still running when the container stops.
  await d.lxc(['exec', 'e1', '--', 'dd', 'if=/dev/urandom', 'of=/root/blob', 'bs=1M', 'count=150']);
  const res = await d.client.query<Operation>('POST', '/1.0/instances/e1/backups', { name: 'b0' });
  await d.lxc(['exec', 'e1', '--', 'poweroff', '-f'], { allowFail: true });
  const op = await d.client.get<Operation>(`/1.0/operations/${res.metadata.id}`);
  assert.equal(op.status, 'Running', 'the backup must still hold the instance when it stops');
  await d.client.get(`/1.0/operations/${res.metadata.id}/wait?timeout=120`);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await d.client.get<string[]>('/1.0/instances')).length > 0) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
});

test('a reboot from inside the container brings it back running, with devices and limits changed since its start', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const shared = await mkdtemp(join(tmpdir(), 'lodge-reboot-'));
  t.after(() => rm(shared, { recursive: true, force: true }));
  await writeFile(join(shared, 'f'), 'shared\n');
  await chmod(shared, 0o755);
  await d.lxc(['launch', 'busybox', 'c1']);
  const before = (await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid;
  await d.lxc(['config', 'device', 'add', 'c1', 'data', 'disk', `source=${shared}`, 'path=/mnt/data']);
  await d.lxc(['config', 'set', 'c1', 'limits.memory', '128MiB']);
  await d.lxc(['exec', 'c1', '--', 'reboot'], { allowFail: true });
  let state = { status: '', pid: before };
  for (let i = 0; i < 150 && !(state.status === 'Running' && state.pid !== before && state.pid > 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = await d.client.get<{ status: string; pid: number }>('/1.0/instances/c1/state');
  }
  assert.equal(state.status, 'Running', 'the container is running again');
  assert.notEqual(state.pid, before, 'with a new init');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/mnt/data/f'])).stdout, 'shared\n');
  const line = (await readFile(`/proc/${state.pid}/cgroup`, 'utf8')).split('\n').find((l) => l.split(':')[1] === 'memory')!;
  assert.equal((await readFile(`/sys/fs/cgroup/memory${line.split(':')[2]}/memory.limit_in_bytes`, 'utf8')).trim(), String(128 * 1024 * 1024));
});
