// Copy and move between servers with the real lxc client over HTTPS (loopback): pull, push and relay modes,
// snapshots, running sources, failures that must leave nothing behind, and LXD 5.0.2 on either end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import type { Operation } from '@lodge/api';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { startLxd } from '../helpers/lxd.js';
import { checkCopy, names, prepareSource, settled, snapshotNames, volumeDirs } from '../helpers/migration.js';
import { LxcConf } from '../helpers/remotes.js';

interface Pair {
  a: TestDaemon;
  b: TestDaemon;
  lxc: LxcConf;
}

/** Two lodged daemons served over HTTPS as remotes "a" and "b" of one lxc config; "a" has the busybox image. */
async function twoDaemons(t: TestContext): Promise<Pair> {
  const [a, b, lxc] = await Promise.all([startDaemon(t).then((d) => d.withBusybox()), startDaemon(t), LxcConf.create(t)]);
  await lxc.addRemote('a', a);
  await lxc.addRemote('b', b);
  return { a, b, lxc };
}

test('lxc copy between two lodged servers in pull, push and relay modes carries config, snapshots and ownership', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  await lxc.run(['copy', 'a:c1', 'b:pulled']);
  await lxc.run(['copy', 'a:c1', 'b:pushed', '--mode', 'push']);
  await lxc.run(['copy', 'a:c1', 'b:relayed', '--mode', 'relay']);
  await lxc.run(['copy', 'a:c1', 'b:bare', '--instance-only']);
  for (const n of ['pulled', 'pushed', 'relayed']) await checkCopy(b, n, ['snap0', 'snap1']);
  await checkCopy(b, 'bare', []);
  // A snapshot copied on its own becomes an instance without snapshots, with the snapshot's content.
  await lxc.run(['copy', 'a:c1/snap0', 'b:fromsnap']);
  await b.lxc(['start', 'fromsnap']);
  assert.equal((await b.lxc(['exec', 'fromsnap', '--', 'cat', '/root/m'])).stdout, 'first\n');
  await b.lxc(['stop', 'fromsnap', '--force']);
  // The snapshot's own content arrived too: restoring snap0 on the copy brings back the first text.
  await b.lxc(['restore', 'pulled', 'snap0']);
  await b.lxc(['start', 'pulled']);
  assert.equal((await b.lxc(['exec', 'pulled', '--', 'cat', '/root/m'])).stdout, 'first\n');
  assert.deepEqual(await names(a), ['c1']);
});

async function status(d: TestDaemon, name: string): Promise<string> {
  return JSON.parse((await d.lxc(['list', name, '-f', 'json'])).stdout)[0].status;
}

test('lxc move between servers deletes the source only after the copy; running ones keep running on the target', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  await lxc.run(['move', 'a:c1', 'b:c1']);
  assert.deepEqual(await names(a), []);
  await checkCopy(b, 'c1', ['snap0', 'snap1']);

  // The client asks for live migration; without CRIU the container is shut down, transferred and booted on b.
  await a.lxc(['launch', 'busybox', 'r1']);
  await a.lxc(['exec', 'r1', '--', 'sh', '-c', 'echo live > /root/l']);
  await lxc.run(['move', 'a:r1', 'b:r1']);
  assert.deepEqual(await names(a), []);
  assert.equal(await status(b, 'r1'), 'Running');
  assert.equal((await b.lxc(['exec', 'r1', '--', 'cat', '/root/l'])).stdout, 'live\n');
  assert.match(a.log, /Live migration of instance r1 is not possible \(CRIU does not work on this host/);

  // --stateless: copied while running (final pass frozen), then started on b by the client.
  await a.lxc(['launch', 'busybox', 'r2']);
  await lxc.run(['move', 'a:r2', 'b:r2', '--stateless']);
  assert.deepEqual(await names(a), []);
  assert.equal(await status(b, 'r2'), 'Running');
});

test('lxc copy of a running container: --stateless keeps the source running; without it, it runs on the target', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await a.lxc(['launch', 'busybox', 'r1']);
  await a.lxc(['exec', 'r1', '--', 'sh', '-c', 'echo written > /root/w']);
  await lxc.run(['copy', 'a:r1', 'b:r2', '--stateless']);
  assert.equal(await status(a, 'r1'), 'Running');
  // The copy is left stopped, like a local copy.
  assert.equal(await status(b, 'r2'), 'Stopped');
  await b.lxc(['start', 'r2']);
  assert.equal((await b.lxc(['exec', 'r2', '--', 'cat', '/root/w'])).stdout, 'written\n');

  // As a live copy would: the running state continues on the target and the source is left stopped.
  await lxc.run(['copy', 'a:r1', 'b:r3', '--mode', 'push']);
  assert.equal(await status(a, 'r1'), 'Stopped');
  assert.equal(await status(b, 'r3'), 'Running');
  assert.equal((await b.lxc(['exec', 'r3', '--', 'cat', '/root/w'])).stdout, 'written\n');
});

test('a live-style copy whose target cannot start the instance leaves nothing there and the source running again', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await a.lxc(['launch', 'busybox', 'r1']);
  await a.lxc(['exec', 'r1', '--', 'sh', '-c', 'echo kept > /root/k']);
  // LXC refuses to start anything with this profile on b; creating the copy still works.
  await b.lxc(['profile', 'set', 'default', 'raw.lxc', 'lxc.cap.drop = nosuchcapability']);
  const failed = await lxc.run(['copy', 'a:r1', 'b:r1'], { allowFail: true });
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /failed to start/);
  assert.deepEqual(await names(b), []);
  assert.deepEqual(await volumeDirs(b), []);
  assert.equal(await status(a, 'r1'), 'Running');
  assert.equal((await a.lxc(['exec', 'r1', '--', 'cat', '/root/k'])).stdout, 'kept\n');
});

test('a refused copy leaves nothing on the target: existing name, missing profile, missing pool', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  await lxc.run(['copy', 'a:c1', 'b:taken', '--instance-only']);
  const taken = await lxc.run(['copy', 'a:c1', 'b:taken'], { allowFail: true });
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /already exists/);
  await a.lxc(['profile', 'create', 'onlyhere']);
  await a.lxc(['profile', 'add', 'c1', 'onlyhere']);
  const profile = await lxc.run(['copy', 'a:c1', 'b:c2'], { allowFail: true });
  assert.notEqual(profile.code, 0);
  assert.match(profile.stderr, /onlyhere/);
  await a.lxc(['profile', 'remove', 'c1', 'onlyhere']);
  const pool = await lxc.run(['copy', 'a:c1', 'b:c3', '--storage', 'nosuchpool'], { allowFail: true });
  assert.notEqual(pool.code, 0);
  assert.match(pool.stderr, /nosuchpool/);
  assert.deepEqual(await names(b), ['taken']);
  assert.deepEqual(await snapshotNames(b, 'taken'), []);
  const volumes = JSON.parse((await b.lxc(['storage', 'volume', 'list', 'default', '-f', 'json'])).stdout) as { name: string }[];
  assert.deepEqual(volumes.map((v) => v.name), ['taken']);
  assert.deepEqual(await volumeDirs(b), ['default_taken']);
  assert.deepEqual(await volumeDirs(b, 'containers-snapshots'), []);
  assert.deepEqual(await names(a), ['c1']);
});

/** Waits until b's migration operation reports transferred bytes. */
async function transferStarted(b: TestDaemon): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ops = await b.client.get<Record<string, Operation[]>>('/1.0/operations?recursion=1');
    const running = Object.values(ops).flat().filter((o) => o.description === 'Creating instance' && o.metadata?.fs_progress);
    if (running.length > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the transfer never started');
}

test('the source daemon crashing mid-transfer leaves no half-made instance on the target, and the source intact', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await a.lxc(['launch', 'busybox', 'big']);
  // Random data does not compress: the transfer takes long enough to be interrupted.
  await a.lxc(['exec', 'big', '--', 'dd', 'if=/dev/urandom', 'of=/root/blob', 'bs=1M', 'count=200']);
  await a.lxc(['stop', 'big', '--force']);
  const copy = spawn('lxc', ['copy', 'a:big', 'b:big'], { env: lxc.env, stdio: 'ignore' });
  const exited = new Promise<number>((r) => copy.on('close', (c) => r(c ?? -1)));
  await transferStarted(b);
  await a.kill9();
  assert.notEqual(await exited, 0);
  // The target's operation fails and removes what it had created.
  await settled(b);
  assert.deepEqual(await names(b), []);
  assert.deepEqual(await volumeDirs(b), []);
  await a.start();
  assert.deepEqual(await names(a), ['big']);
  await a.lxc(['start', 'big']);
  assert.equal((await a.lxc(['exec', 'big', '--', 'stat', '-c', '%s', '/root/blob'])).stdout.trim(), String(200 * 1024 * 1024));
});

test('the target daemon crashing mid-transfer: its restart removes the half-made instance; the source keeps running', async (t) => {
  const { a, b, lxc } = await twoDaemons(t);
  await a.lxc(['launch', 'busybox', 'big']);
  await a.lxc(['exec', 'big', '--', 'dd', 'if=/dev/urandom', 'of=/root/blob', 'bs=1M', 'count=200']);
  const copy = spawn('lxc', ['copy', 'a:big', 'b:big', '--stateless'], { env: lxc.env, stdio: 'ignore' });
  const exited = new Promise<number>((r) => copy.on('close', (c) => r(c ?? -1)));
  await transferStarted(b);
  await b.kill9();
  assert.notEqual(await exited, 0);
  await b.start();
  await settled(b);
  assert.deepEqual(await names(b), []);
  assert.deepEqual(await volumeDirs(b), []);
  // The source was never frozen for long nor stopped: the transfer died in its first, live pass.
  assert.equal(await status(a, 'big'), 'Running');
  assert.equal((await a.lxc(['exec', 'big', '--', 'stat', '-c', '%s', '/root/blob'])).stdout.trim(), String(200 * 1024 * 1024));
});

test('LXD 5.0.2 and lodged copy to each other: stopped with snapshots, running with --stateless, ownership kept', async (t) => {
  const img = await busyboxImage();
  const [d, lxd, lxc] = await Promise.all([startDaemon(t).then((x) => x.withBusybox()), startLxd(t), LxcConf.create(t)]);
  await lxd.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
  await lxc.addRemote('lodge', d);
  await lxc.addRemote('lxd', lxd);

  // LXD → lodge: LXD sends its shifted host ids; lodge stores the container's own.
  await lxd.lxc(['launch', 'busybox', 'fromlxd']);
  await lxd.lxc(['exec', 'fromlxd', '--', 'sh', '-c', 'echo lxd > /root/f; chown 1000:1000 /root/f']);
  await lxd.lxc(['snapshot', 'fromlxd', 's0']);
  await lxc.run(['copy', 'lxd:fromlxd', 'lodge:running', '--stateless']);
  await lxd.lxc(['stop', 'fromlxd', '--force']);
  await lxc.run(['copy', 'lxd:fromlxd', 'lodge:stopped']);
  for (const n of ['running', 'stopped']) {
    await d.lxc(['start', n]);
    assert.equal((await d.lxc(['exec', n, '--', 'cat', '/root/f'])).stdout, 'lxd\n');
    assert.equal((await d.lxc(['exec', n, '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout.trim(), '1000:1000');
    await d.lxc(['stop', n, '--force']);
  }
  assert.deepEqual(await snapshotNames(d, 'stopped'), ['s0']);

  // lodge → LXD, pulled by LXD and pushed by lodge.
  await d.lxc(['launch', 'busybox', 'fromlodge']);
  await d.lxc(['exec', 'fromlodge', '--', 'sh', '-c', 'echo lodge > /root/g; chown 1000:1000 /root/g']);
  await d.lxc(['snapshot', 'fromlodge', 't0']);
  await lxc.run(['copy', 'lodge:fromlodge', 'lxd:lrunning', '--stateless']);
  await d.lxc(['stop', 'fromlodge', '--force']);
  await lxc.run(['copy', 'lodge:fromlodge', 'lxd:lpushed', '--mode', 'push']);
  for (const n of ['lrunning', 'lpushed']) {
    await lxd.lxc(['start', n]);
    assert.equal((await lxd.lxc(['exec', n, '--', 'cat', '/root/g'])).stdout, 'lodge\n');
    assert.equal((await lxd.lxc(['exec', n, '--', 'stat', '-c', '%u:%g', '/root/g'])).stdout.trim(), '1000:1000');
    await lxd.lxc(['stop', n, '--force']);
  }
  assert.match((await lxd.lxc(['info', 'lpushed'])).stdout, /t0/);
});
