// Devices end to end: host disk bind mounts (read-only too), unix-char nodes, profile device expansion.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('disk devices bind host paths, read-only when asked; profile devices expand and the instance wins', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const host = await mkdtemp(join(tmpdir(), 'lodge-disk-'));
  t.after(() => rm(host, { recursive: true, force: true }));
  // Host permissions apply: the container's root is an unprivileged host uid.
  await chmod(host, 0o777);
  await writeFile(join(host, 'data.txt'), 'from host', { mode: 0o644 });
  await d.lxc(['profile', 'create', 'shared']);
  await d.lxc(['profile', 'device', 'add', 'shared', 'data', 'disk', `source=${host}`, 'path=/mnt/data', 'readonly=true']);
  await d.lxc(['init', 'busybox', 'c1', '-p', 'default', '-p', 'shared']);
  await d.lxc(['config', 'device', 'add', 'c1', 'rw', 'disk', `source=${host}`, 'path=/mnt/rw']);
  await d.lxc(['start', 'c1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/mnt/data/data.txt'])).stdout, 'from host');
  const ro = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo x > /mnt/data/new'], { allowFail: true });
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only/i);
  const expanded = await d.client.get<{ expanded_devices: Record<string, Record<string, string>> }>('/1.0/instances/c1');
  assert.equal(expanded.expanded_devices.data?.readonly, 'true');
  assert.equal(expanded.expanded_devices.rw?.path, '/mnt/rw');
  // Override the profile's device on the instance: it now wins.
  await d.lxc(['stop', 'c1', '--force']);
  await d.lxc(['config', 'device', 'override', 'c1', 'data', 'readonly=false']);
  await d.lxc(['start', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo written > /mnt/data/new']);
  assert.equal((await readFile(join(host, 'new'), 'utf8')).trim(), 'written');
});

test('a unix-char device appears with its owner and mode and the cgroup allows it', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['init', 'busybox', 'c1']);
  await d.lxc(['config', 'device', 'add', 'c1', 'mynull', 'unix-char', 'source=/dev/null', 'path=/dev/mynull', 'uid=1000', 'gid=1000', 'mode=0660']);
  await d.lxc(['config', 'device', 'add', 'c1', 'byid', 'unix-char', 'major=1', 'minor=5', 'path=/dev/myzero']);
  await d.lxc(['start', 'c1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'stat', '-c', '%t:%T %u %g %a', '/dev/mynull'])).stdout.trim(), '1:3 1000 1000 660');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo gone > /dev/mynull && echo ok'])).stdout.trim(), 'ok');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'head -c 4 /dev/myzero | od -An -tx1'])).stdout.trim(), '00 00 00 00');
  const bad = await d.lxc(['config', 'device', 'add', 'c1', 'nope', 'unix-char', 'source=/dev/does-not-exist'], { allowFail: true });
  assert.notEqual(bad.code, 0);
});

test('device definitions are validated with clear errors', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['init', 'busybox', 'c1']);
  const cases: [string[], RegExp][] = [
    [['config', 'device', 'add', 'c1', 'x', 'disk', 'source=/tmp'], /path/],
    [['config', 'device', 'add', 'c1', 'x', 'disk', 'source=/tmp', 'path=relative'], /absolute/],
    [['config', 'device', 'add', 'c1', 'x', 'disk', 'source=/nonexistent', 'path=/mnt'], /doesn't exist/],
    [['config', 'device', 'add', 'c1', 'x', 'usb'], /unsupported device type/],
  ];
  for (const [args, re] of cases) {
    const r = await d.lxc(args, { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.deepEqual((await d.client.get<{ devices: object }>('/1.0/instances/c1')).devices, {});
});

test('disk and unix-char devices hot-plug into a running container and come out again', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const host = await mkdtemp(join(tmpdir(), 'lodge-hot-'));
  t.after(() => rm(host, { recursive: true, force: true }));
  await chmod(host, 0o755);
  await writeFile(join(host, 'hot.txt'), 'hot', { mode: 0o644 });
  await d.lxc(['launch', 'busybox', 'c1']);
  const pid = (await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid;
  await d.lxc(['config', 'device', 'add', 'c1', 'hot', 'disk', `source=${host}`, 'path=/mnt/hot', 'readonly=true']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'cat', '/mnt/hot/hot.txt'])).stdout, 'hot');
  const rw = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo x > /mnt/hot/new'], { allowFail: true });
  assert.notEqual(rw.code, 0);
  await d.lxc(['config', 'device', 'add', 'c1', 'z', 'unix-char', 'major=1', 'minor=5', 'path=/dev/hotzero']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'head -c 2 /dev/hotzero | od -An -tx1'])).stdout.trim(), '00 00');
  await d.lxc(['config', 'device', 'remove', 'c1', 'hot']);
  await d.lxc(['config', 'device', 'remove', 'c1', 'z']);
  const gone = await d.lxc(['exec', 'c1', '--', 'cat', '/mnt/hot/hot.txt'], { allowFail: true });
  assert.notEqual(gone.code, 0);
  const zgone = await d.lxc(['exec', 'c1', '--', 'head', '-c', '1', '/dev/hotzero'], { allowFail: true });
  assert.notEqual(zgone.code, 0);
  assert.equal((await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid, pid, 'no restart');
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes('/mnt/hot'), 'nothing mounted on the host');
});
