// Resource limits: applied at start, visible in the container's cgroup, changed live without a restart.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

async function cgroup(d: TestDaemon, name: string, file: string): Promise<string> {
  const pid = (await d.client.get<{ pid: number }>(`/1.0/instances/${name}/state`)).pid;
  const line = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').find((l) => l.split(':')[1] === file.split('.')[0])!;
  return (await readFile(`/sys/fs/cgroup/${file.split('.')[0]}${line.split(':')[2]}/${file}`, 'utf8')).trim();
}

test('memory, cpu and process limits at start and live, with LXD units', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1', '-c', 'limits.memory=256MB', '-c', 'limits.processes=50', '-c', 'limits.cpu=1']);
  assert.equal(await cgroup(d, 'c1', 'memory.limit_in_bytes'), String(256_000_000 - (256_000_000 % 4096)));
  assert.equal(await cgroup(d, 'c1', 'pids.max'), '50');
  assert.equal(await cgroup(d, 'c1', 'cpuset.cpus'), '0');
  const pid = (await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid;
  await d.lxc(['config', 'set', 'c1', 'limits.memory', '128MiB']);
  await d.lxc(['config', 'set', 'c1', 'limits.processes', '20']);
  await d.lxc(['config', 'set', 'c1', 'limits.cpu.allowance', '25ms/100ms']);
  assert.equal(await cgroup(d, 'c1', 'memory.limit_in_bytes'), String(128 * 1024 * 1024));
  assert.equal(await cgroup(d, 'c1', 'pids.max'), '20');
  assert.equal(await cgroup(d, 'c1', 'cpu.cfs_quota_us'), '25000');
  assert.equal((await d.client.get<{ pid: number }>('/1.0/instances/c1/state')).pid, pid, 'no restart');
  // The limit binds inside the container: a fork bomb stops at limits.processes.
  const r = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'for i in $(seq 40); do sleep 30 & done; wait'], { allowFail: true, timeoutMs: 60_000 });
  assert.match(r.stderr, /fork|resource|can't/i);
  await d.lxc(['config', 'unset', 'c1', 'limits.memory']);
  assert.ok(Number(await cgroup(d, 'c1', 'memory.limit_in_bytes')) > 1e12);
  const bad = await d.lxc(['config', 'set', 'c1', 'limits.memory', '12 parsecs'], { allowFail: true });
  assert.match(bad.stderr, /limits\.memory/);
});

test('a profile change reaches running instances live', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['profile', 'create', 'small']);
  await d.lxc(['profile', 'set', 'small', 'limits.memory', '64MiB']);
  await d.lxc(['launch', 'busybox', 'c1', '-p', 'default', '-p', 'small']);
  assert.equal(await cgroup(d, 'c1', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  await d.lxc(['profile', 'set', 'small', 'limits.memory', '96MiB']);
  assert.equal(await cgroup(d, 'c1', 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
  const used = (await d.client.profiles.get('small')).profile.used_by;
  assert.deepEqual(used, ['/1.0/instances/c1']);
  const del = await d.lxc(['profile', 'delete', 'small'], { allowFail: true });
  assert.match(del.stderr, /in use/);
});
