// lodge copy and move between servers over HTTPS on 127.0.0.1: two lodged daemons (and LXD 5.0.2 both ways) in pull,
// push and relay modes, compared with the requests lxc sends, the data checked on the target, move with snapshots,
// running sources, progress on a terminal, and refused copies that leave nothing behind.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CliClient, listenOn, trustToken } from '../helpers/cli-client.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { sameRequests } from '../helpers/debug-requests.js';
import { startLxd } from '../helpers/lxd.js';
import { checkCopy, names, prepareSource, snapshotNames, volumeDirs } from '../helpers/migration.js';
import { lodgeBin } from '../helpers/paths.js';
import { onPty } from '../helpers/pty.js';

interface Pair {
  a: TestDaemon;
  b: TestDaemon;
  me: CliClient;
}

/** Two lodged daemons over HTTPS, remotes "a" (with the busybox image) and "b" of one config that lodge and lxc share. */
async function twoDaemons(t: TestContext): Promise<Pair> {
  const [a, b, me] = await Promise.all([startDaemon(t).then((d) => d.withBusybox()), startDaemon(t), CliClient.create(t)]);
  for (const [name, d] of [['a', a], ['b', b]] as const) {
    await listenOn(d);
    await me.lodge(['remote', 'add', name, await trustToken(d, `${name}-client`)]);
  }
  return { a, b, me };
}

async function status(d: TestDaemon, name: string): Promise<string> {
  return (await d.client.instances.get(name)).instance.status;
}

test('lodge copy between two lodged in pull, push and relay modes: the requests lxc sends, data, snapshots, ownership', async (t) => {
  const { a, b, me } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  for (const mode of ['pull', 'push', 'relay']) {
    const mine = await me.lodge(['copy', 'a:c1', `b:copy-${mode}`, '--mode', mode, '--debug']);
    assert.equal(mine.stdout, '', 'no progress off a terminal');
    const theirs = await me.lxc(['copy', 'a:c1', `b:lxc-${mode}`, '--mode', mode, '--debug']);
    sameRequests(mine.stderr, theirs.stderr, [`copy-${mode}`, `lxc-${mode}`], mode);
    await checkCopy(b, `copy-${mode}`, ['snap0', 'snap1']);
  }
  // The snapshots' own contents arrived: restoring snap0 brings the first text back.
  await me.lodge(['restore', 'b:copy-relay', 'snap0']);
  await checkCopy(b, 'copy-relay', ['snap0', 'snap1'], 'first');

  // --instance-only, and a snapshot as the source (a new instance without snapshots, with the snapshot's content).
  await me.lodge(['copy', 'a:c1', 'b:bare', '--instance-only', '--mode', 'push']);
  await checkCopy(b, 'bare', []);
  for (const mode of ['pull', 'push', 'relay']) {
    const mine = await me.lodge(['copy', 'a:c1/snap0', `b:snap-${mode}`, '--mode', mode, '--debug']);
    const theirs = await me.lxc(['copy', 'a:c1/snap0', `b:lxc-snap-${mode}`, '--mode', mode, '--debug']);
    sameRequests(mine.stderr, theirs.stderr, [`snap-${mode}`, `lxc-snap-${mode}`], `snapshot ${mode}`);
    await checkCopy(b, `snap-${mode}`, [], 'first');
  }

  // A running source with --stateless keeps running; the copy is left stopped, with what was written.
  await me.lodge(['start', 'a:c1']);
  await me.lodge(['exec', 'a:c1', '--', 'sh', '-c', 'echo third > /root/m']);
  await me.lodge(['copy', 'a:c1', 'b:hot', '--stateless', '--mode', 'relay', '--instance-only']);
  assert.deepEqual([await status(a, 'c1'), await status(b, 'hot')], ['Running', 'Stopped']);
  await checkCopy(b, 'hot', [], 'third');
  assert.deepEqual(await names(a), ['c1']);
});

test('lodge move between servers: snapshots travel, the source goes after the copy, running instances run on the target', async (t) => {
  const { a, b, me } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  await me.lodge(['move', 'a:c1', 'b:c1']);
  assert.deepEqual(await names(a), []);
  await checkCopy(b, 'c1', ['snap0', 'snap1']);
  // And back, renamed, in push mode.
  await me.lodge(['move', 'b:c1', 'a:back', '--mode', 'push']);
  assert.deepEqual(await names(b), []);
  await checkCopy(a, 'back', ['snap0', 'snap1']);

  // Live is asked for a running instance: without CRIU the daemons shut it down, transfer it and boot it on the target.
  await a.lodge(['launch', 'busybox', 'r1', '-q']);
  await a.lodge(['exec', 'r1', '--', 'sh', '-c', 'echo live > /root/l']);
  await me.lodge(['move', 'a:r1', 'b:r1', '--mode', 'relay']);
  assert.deepEqual(await names(a), ['back']);
  assert.equal(await status(b, 'r1'), 'Running');
  assert.equal((await b.lodge(['exec', 'r1', '--', 'cat', '/root/l'])).stdout, 'live\n');

  // --stateless: copied while running, then started on the target by the client, as lxc does.
  await a.lodge(['launch', 'busybox', 'r2', '-q']);
  await a.lodge(['snapshot', 'r2', 's']);
  await me.lodge(['move', 'a:r2', 'b:r2', '--stateless', '--mode', 'push']);
  assert.deepEqual(await names(a), ['back']);
  assert.equal(await status(b, 'r2'), 'Running');
  assert.deepEqual(await snapshotNames(b, 'r2'), ['s']);
  await a.lodge(['launch', 'busybox', 'r3', '-q']);
  await me.lxc(['move', 'a:r3', 'b:r3', '--stateless']);
  assert.equal(await status(b, 'r3'), 'Running');
});

test('refused copies leave nothing on the target and moves keep their source; --refresh across servers is refused', async (t) => {
  const { a, b, me } = await twoDaemons(t);
  await prepareSource(a, 'c1');
  await me.lodge(['copy', 'a:c1', 'b:taken', '--instance-only']);
  for (const mode of ['pull', 'push', 'relay']) {
    const taken = await me.lodge(['copy', 'a:c1', 'b:taken', '--mode', mode], { allowFail: true });
    assert.equal(taken.code, 1, mode);
    assert.match(taken.stderr, /already exists/, mode);
    const moved = await me.lodge(['move', 'a:c1', 'b:taken', '--mode', mode], { allowFail: true });
    assert.match(moved.stderr, /already exists/, mode);
  }
  await a.lodge(['profile', 'create', 'onlyhere']);
  await a.lodge(['profile', 'add', 'c1', 'onlyhere']);
  // lodged refuses the missing profile once its operation runs, which breaks a push or a relay: lodge still names it.
  for (const mode of ['pull', 'push', 'relay']) {
    const profile = await me.lodge(['move', 'a:c1', 'b:c2', '--mode', mode], { allowFail: true });
    assert.equal(profile.code, 1, mode);
    assert.match(profile.stderr, /^Error: .*Profile "onlyhere" not found\n$/, mode);
  }
  await a.lodge(['profile', 'remove', 'c1', 'onlyhere']);
  const pool = await me.lodge(['copy', 'a:c1', 'b:c3', '--storage', 'nosuchpool'], { allowFail: true });
  assert.match(pool.stderr, /nosuchpool/);

  // The daemon refuses to refresh from another server; lodge reports it as lxc does.
  const refresh = await me.lodge(['copy', 'a:c1', 'b:fresh', '--refresh'], { allowFail: true });
  const theirs = await me.lxc(['copy', 'a:c1', 'b:fresh', '--refresh'], { allowFail: true });
  assert.equal(refresh.code, 1);
  assert.equal(refresh.stderr, theirs.stderr);
  assert.match(refresh.stderr, /^Error: Failed instance creation: .*[Rr]efresh/);

  assert.deepEqual(await names(b), ['taken']);
  assert.deepEqual(await snapshotNames(b, 'taken'), []);
  assert.deepEqual(await volumeDirs(b), ['default_taken']);
  assert.deepEqual(await volumeDirs(b, 'containers-snapshots'), []);
  assert.deepEqual(await names(a), ['c1']);
  assert.deepEqual(await snapshotNames(a, 'c1'), ['snap0', 'snap1']);

  // A server that is not listening on the network can't be a source in pull mode.
  await a.lodge(['copy', 'c1', 'local-only']);
  const local = await CliClient.create(t, a);
  await local.lodge(['remote', 'add', 'b', await trustToken(b, 'local-client')]);
  await a.lodge(['config', 'unset', 'core.https_address']);
  const deaf = await local.lodge(['copy', 'local-only', 'b:x'], { allowFail: true });
  assert.equal(deaf.stderr, (await local.lxc(['copy', 'local-only', 'b:x'], { allowFail: true })).stderr);
  assert.equal(deaf.stderr, "Error: The source server isn't listening on the network\n");
  assert.deepEqual(await names(b), ['taken']);
});

test('progress as lxc draws it, on a terminal only: "Transferring instance" from the operation', async (t) => {
  const { a, b, me } = await twoDaemons(t);
  await a.lodge(['launch', 'busybox', 'big', '-q']);
  // Random data does not compress: the transfer lasts long enough for progress updates.
  await a.lodge(['exec', 'big', '--', 'dd', 'if=/dev/urandom', 'of=/root/blob', 'bs=1M', 'count=30']);
  await a.lodge(['stop', 'big', '--force']);
  for (const mode of ['pull', 'push', 'relay']) {
    const tty = await onPty(`${lodgeBin} copy a:big b:${mode} --mode ${mode}`, me.env());
    assert.match(tty.stdout, /\rTransferring instance: [^\r]*MB/, mode);
    // The line is cleared at the end: nothing but spaces after the last carriage return.
    assert.match(tty.stdout, /\r +\r$/, mode);
  }
  assert.equal((await b.lodge(['exec', 'pull', '--', 'true'], { allowFail: true })).code, 1, 'copies are left stopped');
  await me.lodge(['start', 'b:relay']);
  assert.equal((await b.lodge(['exec', 'relay', '--', 'stat', '-c', '%s', '/root/blob'])).stdout, `${30 * 1024 * 1024}\n`);
  assert.equal((await me.lodge(['copy', 'a:big', 'b:quiet', '-q'])).stdout, '');
});

test('lodge copies between LXD 5.0.2 and lodged, both ways, with snapshots and ownership', async (t) => {
  const img = await busyboxImage();
  const [d, lxd, me] = await Promise.all([startDaemon(t).then((x) => x.withBusybox()), startLxd(t), CliClient.create(t)]);
  await lxd.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
  for (const [name, s] of [['lodge', d], ['lxd', lxd]] as const) {
    await listenOn(s);
    await me.lodge(['remote', 'add', name, await trustToken(s, `${name}-client`)]);
  }
  // LXD → lodge: pulled by lodged, then relayed by the client.
  await lxd.lxc(['launch', 'busybox', 'fromlxd']);
  await lxd.lxc(['exec', 'fromlxd', '--', 'sh', '-c', 'echo lxd > /root/f; chown 1000:1000 /root/f']);
  await lxd.lxc(['snapshot', 'fromlxd', 's0']);
  await lxd.lxc(['stop', 'fromlxd', '--force']);
  await me.lodge(['copy', 'lxd:fromlxd', 'lodge:pulled']);
  await me.lodge(['copy', 'lxd:fromlxd', 'lodge:relayed', '--mode', 'relay']);
  for (const n of ['pulled', 'relayed']) {
    assert.deepEqual(await snapshotNames(d, n), ['s0']);
    await d.lodge(['start', n]);
    assert.equal((await d.lodge(['exec', n, '--', 'cat', '/root/f'])).stdout, 'lxd\n');
    assert.equal((await d.lodge(['exec', n, '--', 'stat', '-c', '%u:%g', '/root/f'])).stdout, '1000:1000\n');
  }

  // lodge → LXD: pushed by lodged, and moved in relay mode (the source goes).
  await d.lodge(['launch', 'busybox', 'fromlodge', '-q']);
  await d.lodge(['exec', 'fromlodge', '--', 'sh', '-c', 'echo lodge > /root/g; chown 1000:1000 /root/g']);
  await d.lodge(['snapshot', 'fromlodge', 't0']);
  await d.lodge(['stop', 'fromlodge', '--force']);
  await me.lodge(['copy', 'lodge:fromlodge', 'lxd:pushed', '--mode', 'push']);
  await me.lodge(['move', 'lodge:fromlodge', 'lxd:moved', '--mode', 'relay']);
  assert.deepEqual(await names(d), ['pulled', 'relayed']);
  for (const n of ['pushed', 'moved']) {
    assert.match((await lxd.lxc(['info', n])).stdout, /\bt0\b/);
    await lxd.lxc(['start', n]);
    assert.equal((await lxd.lxc(['exec', n, '--', 'cat', '/root/g'])).stdout, 'lodge\n');
    assert.equal((await lxd.lxc(['exec', n, '--', 'stat', '-c', '%u:%g', '/root/g'])).stdout.trim(), '1000:1000');
    await lxd.lxc(['stop', n, '--force']);
  }
});
