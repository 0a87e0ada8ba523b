// Snapshots, restore and local copies end to end with the real lxc client.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

const cat = async (d: TestDaemon, name: string, path: string) => (await d.lxc(['exec', name, '--', 'cat', path], { allowFail: true })).stdout;

test('write, snapshot, change, restore: the file is back; snapshots are listed, renamed and deleted', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo before > /root/f']);
  await d.lxc(['snapshot', 'c1']);
  await d.lxc(['snapshot', 'c1', 'mine']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo after > /root/f']);
  await d.lxc(['config', 'set', 'c1', 'user.state', 'changed']);
  const snaps = await d.client.get<{ name: string; config: Record<string, string> }[]>('/1.0/instances/c1/snapshots?recursion=1');
  assert.deepEqual(snaps.map((s) => s.name), ['snap0', 'mine']);
  assert.match((await d.lxc(['info', 'c1'])).stdout, /snap0/);
  assert.match((await d.lxc(['list', 'c1', '--format', 'csv', '-c', 'nS'])).stdout, /c1,2/);
  await d.lxc(['restore', 'c1', 'snap0']);
  assert.equal(await cat(d, 'c1', '/root/f'), 'before\n');
  assert.equal((await d.client.get<{ status: string; config: Record<string, string> }>('/1.0/instances/c1')).config['user.state'], undefined);
  assert.equal((await d.client.get<{ status: string }>('/1.0/instances/c1')).status, 'Running');
  await d.lxc(['move', 'c1/mine', 'c1/yours']);
  await d.lxc(['delete', 'c1/yours']);
  assert.deepEqual(await d.client.get('/1.0/instances/c1/snapshots'), ['/1.0/instances/c1/snapshots/snap0']);
  const immut = await d.client.query('PUT', '/1.0/instances/c1/snapshots/snap0', { config: { 'user.x': 'y' } }).catch((e: Error) => e);
  assert.match(String(immut), /immutable/);
  // Regression: a synchronous answer here left `lxc config edit c1/snap0` polling an empty operation forever.
  const yaml = (await d.lxc(['config', 'show', 'c1/snap0'])).stdout.replace(/^expires_at:.*$/m, 'expires_at: 2040-01-02T03:04:05Z');
  await d.lxc(['config', 'edit', 'c1/snap0'], { input: yaml, timeoutMs: 30_000 });
  assert.equal((await d.client.get<{ expires_at: string }>('/1.0/instances/c1/snapshots/snap0')).expires_at, '2040-01-02T03:04:05Z');
  const dup = await d.lxc(['snapshot', 'c1', 'snap0'], { allowFail: true });
  assert.match(dup.stderr, /already exists/);
  const bad = await d.lxc(['snapshot', 'c1', 'a b'], { allowFail: true });
  assert.notEqual(bad.code, 0);
  const stateful = await d.lxc(['snapshot', 'c1', 'live', '--stateful'], { allowFail: true });
  assert.match(stateful.stderr, /CRIU/);
  assert.deepEqual(await d.client.get('/1.0/instances/c1/snapshots'), ['/1.0/instances/c1/snapshots/snap0']);
  await d.lxc(['delete', '--force', 'c1']);
  assert.deepEqual(await readdir(join(d.dir, 'storage-pools', 'default', 'containers-snapshots')), []);
});

test('copies have the data and their own identity; --instance-only and --refresh', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo original > /root/f']);
  await d.lxc(['snapshot', 'c1', 's1']);
  await d.lxc(['copy', 'c1', 'c2']);
  await d.lxc(['copy', 'c1', 'c3', '--instance-only']);
  await d.lxc(['copy', 'c1/s1', 'c4']);
  const c1 = await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1');
  for (const name of ['c2', 'c3', 'c4']) {
    const c = await d.client.get<{ status: string; config: Record<string, string> }>(`/1.0/instances/${name}`);
    assert.equal(c.status, 'Stopped');
    assert.notEqual(c.config['volatile.uuid'], c1.config['volatile.uuid']);
    assert.equal(c.config['volatile.base_image'], c1.config['volatile.base_image']);
    await d.lxc(['start', name]);
    assert.equal(await cat(d, name, '/root/f'), 'original\n');
    assert.equal((await d.lxc(['exec', name, '--', 'hostname'])).stdout.trim(), name);
  }
  assert.deepEqual(await d.client.get('/1.0/instances/c2/snapshots'), ['/1.0/instances/c2/snapshots/s1']);
  assert.deepEqual(await d.client.get('/1.0/instances/c3/snapshots'), []);
  await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo updated > /root/f']);
  await d.lxc(['snapshot', 'c1', 's2']);
  await d.lxc(['stop', '--force', 'c2']);
  await d.lxc(['copy', 'c1', 'c2', '--refresh']);
  await d.lxc(['start', 'c2']);
  assert.equal(await cat(d, 'c2', '/root/f'), 'updated\n');
  assert.deepEqual((await d.client.get<string[]>('/1.0/instances/c2/snapshots')).sort(), ['/1.0/instances/c2/snapshots/s1', '/1.0/instances/c2/snapshots/s2']);
  const exists = await d.lxc(['copy', 'c1', 'c3'], { allowFail: true });
  assert.match(exists.stderr, /already exists/);
  const missing = await d.lxc(['copy', 'nope', 'c9'], { allowFail: true });
  assert.notEqual(missing.code, 0);
  assert.ok(!(await d.client.get<string[]>('/1.0/instances')).includes('/1.0/instances/c9'));
});

test('scheduled snapshots are taken and expire on their own', { timeout: 200_000 }, async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1', '-c', 'snapshots.schedule=* * * * *', '-c', 'snapshots.pattern=auto%d', '-c', 'snapshots.expiry=1M']);
  const deadline = Date.now() + 75_000;
  let names: string[] = [];
  while (Date.now() < deadline && names.length === 0) {
    await new Promise((r) => setTimeout(r, 1000));
    names = (await d.client.get<{ name: string }[]>('/1.0/instances/c1/snapshots?recursion=1')).map((s) => s.name);
  }
  assert.deepEqual(names.slice(0, 1), ['auto0']);
  const snap = await d.client.get<{ expires_at: string; created_at: string }>('/1.0/instances/c1/snapshots/auto0');
  assert.ok(Date.parse(snap.expires_at) - Date.parse(snap.created_at) > 50_000);
  await d.lxc(['config', 'unset', 'c1', 'snapshots.schedule']);
  const gone = Date.now() + 90_000;
  while (Date.now() < gone && (await d.client.get<string[]>('/1.0/instances/c1/snapshots')).length > 0) await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await d.client.get('/1.0/instances/c1/snapshots'), []);
});
