// lodge-helper hotplug against a real unprivileged LXC container made by the test: mounts (locking,
// shifting, symlinked targets), device nodes and cgroup device rules; and network state.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FileError, helperPath } from '../../../packages/daemon/dist/sys/helper.js';
import { cgroupSet, deviceRule, mountInto, umountFrom } from '../../../packages/daemon/dist/sys/helper-mount.js';
import { netInfo } from '../../../packages/daemon/dist/sys/helper-netinfo.js';
import { defaultDeviceRules } from '../../../packages/daemon/dist/instance/lxc/config.js';
import { NetinfoServer } from '../../../packages/daemon/dist/sys/netinfo-server.js';
import { run } from '../helpers/run.js';
import { attachIn, type Container, execIn, type ExecResult, rejectsWith, skip, startContainer } from '../helpers/lxc-container.js';

/** Host mount table lines as "mount-point fs-source", for before/after comparisons. */
async function hostMounts(): Promise<Set<string>> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).trim().split('\n');
  return new Set(lines.map((l) => `${l.split(' ')[4]} ${l.split(' - ')[1]?.split(' ')[1] ?? ''}`));
}

/** What the helper added to the host mount table since `before` (other tests may mount their own things: only ours count). */
async function ourHostMounts(before: Set<string>, ours: string[]): Promise<string[]> {
  return [...(await hostMounts())].filter((m) => !before.has(m) && (m.includes('lodge-inject') || ours.some((p) => m.split(' ')[0] === p || m.startsWith(`${p}/`))));
}

/** The container's mounts as seen by its init: "mount-point fs-type source" lines. */
async function containerMounts(c: Container): Promise<string[]> {
  return (await readFile(`/proc/${c.pid}/mountinfo`, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => {
      const [head, tail] = l.split(' - ');
      return `${head!.split(' ')[4]} ${tail!.split(' ').slice(0, 2).join(' ')}`;
    });
}

async function sh(c: Container, script: string): Promise<ExecResult> {
  return execIn(c, { command: ['sh', '-c', script] });
}

async function rejectsHelper(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await rejectsWith(p, code);
  if (message) assert.match(e.message, message);
}

/** A character major no driver uses here (the "local/experimental" ranges), so opening a node gives ENXIO once allowed. */
async function unusedCharMajor(): Promise<number> {
  const text = await readFile('/proc/devices', 'utf8');
  const used = new Set(
    text
      .split('Block devices:')[0]!
      .split('\n')
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => Number.isInteger(n)),
  );
  const free = [60, 61, 62, 63, 120, 121, 122, 123, 124, 125, 126, 127].find((m) => !used.has(m));
  assert.ok(free !== undefined, 'no free experimental char major');
  return free;
}

async function hostDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  return dir;
}

test('lodge-helper hotplug and network state of a running container', { skip, timeout: 240_000 }, async (t) => {
  const c = await startContainer(t, ['lxc.cgroup.devices.deny = a', ...defaultDeviceRules.map((r) => `lxc.cgroup.devices.allow = ${r}`)]);
  const hostBefore = await hostMounts();
  const src = await hostDir(t, 'lodge-src-');
  await writeFile(join(src, 'hello'), 'from the host\n');
  await chown(join(src, 'hello'), 1000, 1001);
  await writeFile(join(src, 'rootfile'), 'root\n');
  const ours = [src, c.lxcpath];

  await t.test('mount: a host directory appears (path created), read-only is enforced and locked, umount removes it', async () => {
    await mountInto(c.pid, { source: src, target: '/mnt/data/sub', readonly: true });
    let r = await sh(c, 'cat /mnt/data/sub/hello; stat -c "%F %u" /mnt/data /mnt/data/sub');
    assert.equal(r.stdout, 'from the host\ndirectory 0\ndirectory 65534\n', r.stderr);
    r = await sh(c, 'touch /mnt/data/sub/new 2>&1; echo "|$?"');
    assert.match(r.stdout, /Read-only file system\n\|1/);
    // The container's root cannot lift read-only: the mount arrived locked.
    r = await sh(c, 'mount -o remount,bind,rw /mnt/data/sub 2>&1; echo "|$?"; touch /mnt/data/sub/new 2>&1; echo "|$?"');
    assert.match(r.stdout, /\|1\n.*Read-only file system\n\|1\n$/s, r.stdout);
    assert.deepEqual((await readdir(src)).sort(), ['hello', 'rootfile']);
    assert.ok((await containerMounts(c)).some((m) => m.startsWith('/mnt/data/sub ext4') || m.startsWith('/mnt/data/sub ')), 'mounted in the container');
    assert.deepEqual(await ourHostMounts(hostBefore, ours), []);

    assert.equal(await umountFrom(c.pid, '/mnt/data/sub'), true);
    assert.equal((await sh(c, 'ls -A /mnt/data/sub')).stdout, '');
    assert.deepEqual((await containerMounts(c)).filter((m) => m.startsWith('/mnt/data')), []);
    assert.equal(await umountFrom(c.pid, '/mnt/data/sub'), false);
    assert.equal(await umountFrom(c.pid, '/mnt/nothing-here'), false);
  });

  await t.test('mount: writable mounts; --shift shows host ids unshifted, without it they are unmapped', async (tt) => {
    tt.after(async () => {
      await umountFrom(c.pid, '/mnt/plain').catch(() => false);
      await umountFrom(c.pid, '/mnt/shifted').catch(() => false);
    });
    await mountInto(c.pid, { source: src, target: '/mnt/plain' });
    assert.equal((await sh(c, 'stat -c "%u:%g" /mnt/plain/hello /mnt/plain/rootfile')).stdout, '65534:65534\n65534:65534\n');
    await mountInto(c.pid, { source: src, target: '/mnt/shifted', shift: true });
    assert.equal((await sh(c, 'stat -c "%u:%g" /mnt/shifted/hello /mnt/shifted/rootfile')).stdout, '1000:1001\n0:0\n');
    const w = await sh(c, 'echo made-inside > /mnt/shifted/inside && chown 1000:1001 /mnt/shifted/inside && echo ok');
    assert.equal(w.stdout, 'ok\n', w.stderr);
    const st = await stat(join(src, 'inside'));
    assert.deepEqual([st.uid, st.gid], [1000, 1001], 'the container wrote host ids unshifted');
    assert.equal(await readFile(join(src, 'inside'), 'utf8'), 'made-inside\n');
    // Without --shift the container's root is only "other" on host files.
    assert.match((await sh(c, '(echo x >> /mnt/plain/rootfile) 2>&1; echo "|$?"')).stdout, /Permission denied\n\|1/);
    await rm(join(src, 'inside'));
    assert.equal(await umountFrom(c.pid, '/mnt/plain'), true);
    assert.equal(await umountFrom(c.pid, '/mnt/shifted'), true);
  });

  await t.test('mount: a file source, and a recursive tree whose submounts the container cannot peel off', async (tt) => {
    await mountInto(c.pid, { source: join(src, 'hello'), target: '/etc/injected', readonly: true });
    assert.equal((await sh(c, 'cat /etc/injected; stat -c %F /etc/injected')).stdout, 'from the host\nregular file\n');
    assert.equal(await umountFrom(c.pid, '/etc/injected'), true);
    assert.equal((await sh(c, 'stat -c %s /etc/injected')).stdout, '0\n'); // the empty mount point stays, as with LXD
    await rejectsHelper(mountInto(c.pid, { source: join(src, 'hello'), target: '/mnt' }), 'EISDIR');
    await rejectsHelper(mountInto(c.pid, { source: src, target: '/etc/injected' }), 'ENOTDIR');
    await rejectsHelper(mountInto(c.pid, { source: join(src, 'nope'), target: '/mnt/nope' }), 'ENOENT');

    const tree = await mkdtemp(join(tmpdir(), 'lodge-tree-'));
    await chmod(tree, 0o755);
    await mkdir(join(tree, 'sub'));
    await writeFile(join(tree, 'sub', 'under'), 'hidden by the submount\n');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'lodge-test-sub', join(tree, 'sub')]);
    tt.after(async () => {
      await run('umount', ['-l', join(tree, 'sub')], { allowFail: true });
      await rm(tree, { recursive: true, force: true });
    });
    await writeFile(join(tree, 'sub', 'over'), 'on the submount\n');
    await mountInto(c.pid, { source: tree, target: '/mnt/tree', recursive: true, readonly: true });
    let r = await sh(c, 'cat /mnt/tree/sub/over; umount /mnt/tree/sub 2>/dev/null; echo "|$?"; cat /mnt/tree/sub/over');
    assert.equal(r.stdout, 'on the submount\n|1\non the submount\n');
    r = await sh(c, 'mount -o remount,bind,rw /mnt/tree/sub 2>/dev/null; echo "|$?"');
    assert.equal(r.stdout, '|1\n');
    // Without --recursive only the top directory comes: the submount's mount point shows what is beneath.
    await mountInto(c.pid, { source: tree, target: '/mnt/flat', readonly: true });
    assert.equal((await sh(c, 'cat /mnt/flat/sub/under')).stdout, 'hidden by the submount\n');
    assert.equal(await umountFrom(c.pid, '/mnt/flat'), true);
    assert.equal(await umountFrom(c.pid, '/mnt/tree'), true);
    assert.deepEqual((await containerMounts(c)).filter((m) => m.startsWith('/mnt/')), []);
  });

  await t.test('mount: symlinks in the container never redirect the target out of it', async (tt) => {
    const marker = await hostDir(tt, 'lodge-marker-');
    ours.push(marker);
    const unique = `lodge-esc-${randomBytes(4).toString('hex')}`;
    const r = await sh(
      c,
      `mkdir -p /mnt/esc && ln -s / /mnt/esc/root && ln -s .. /mnt/esc/up && ln -s ../../../../../.. /mnt/esc/deep && ` +
        `ln -s ${marker} /mnt/esc/host && ln -s /proc/1/root /mnt/esc/magic && echo ok`,
    );
    assert.equal(r.stdout, 'ok\n', r.stderr);
    // A symlink as the target itself is refused: it would put the mount over the container's / or elsewhere.
    for (const target of ['/mnt/esc/root', '/mnt/esc/up', '/mnt/esc/deep', '/mnt/esc/host', '/mnt/esc/magic']) {
      await rejectsHelper(mountInto(c.pid, { source: src, target }), 'ELOOP', /is a symlink/);
    }
    // The container's root itself is no target.
    for (const target of ['/', '/.', '/mnt/..']) await assert.rejects(mountInto(c.pid, { source: src, target }), RangeError);
    // Symlinked directories on the way resolve inside the container.
    await mountInto(c.pid, { source: src, target: `/mnt/esc/root/${unique}-a` });
    await mountInto(c.pid, { source: src, target: `/mnt/esc/up/${unique}-b` });
    await mountInto(c.pid, { source: src, target: `/mnt/esc/deep/tmp/${unique}-c` });
    await rejectsHelper(mountInto(c.pid, { source: src, target: '/mnt/esc/host/x' }), 'ENOENT'); // the host path does not exist inside
    await assert.rejects(mountInto(c.pid, { source: src, target: '/mnt/esc/magic/x' }), FileError); // magic links: refused
    const mounts = await containerMounts(c);
    for (const p of [`/${unique}-a`, `/mnt/${unique}-b`, `/tmp/${unique}-c`]) assert.ok(mounts.some((m) => m.startsWith(`${p} `)), `${p} in ${mounts.join('\n')}`);
    assert.equal((await sh(c, `cat /${unique}-a/hello /mnt/${unique}-b/hello /tmp/${unique}-c/hello`)).stdout, 'from the host\n'.repeat(3));
    for (const p of [`/${unique}-a`, `/mnt/${unique}-b`, `/tmp/${unique}-c`, join(marker, 'x')]) {
      await assert.rejects(lstat(p), `${p} appeared on the host`);
    }
    assert.deepEqual(await readdir(marker), []);
    assert.deepEqual(await ourHostMounts(hostBefore, [...ours, `/${unique}-a`, `/mnt/${unique}-b`, `/tmp/${unique}-c`, '/']), []);
    for (const p of [`/${unique}-a`, `/mnt/${unique}-b`, `/tmp/${unique}-c`]) assert.equal(await umountFrom(c.pid, p), true);
    assert.ok(!(await containerMounts(c)).some((m) => m.startsWith('/ ') && !m.includes('ext4')), 'nothing mounted over the container root');
  });

  await t.test('mount: a target the container swaps between a directory and a symlink to / lands inside, or fails', async (tt) => {
    const { file, args } = attachIn(c, { command: ['sh', '-c', 'while :; do rmdir /mnt/sw 2>/dev/null; rm -f /mnt/sw; mkdir /mnt/sw 2>/dev/null; rmdir /mnt/sw 2>/dev/null; ln -s / /mnt/sw 2>/dev/null; done'] });
    const swapper = spawn(file, args, { stdio: 'ignore' });
    tt.after(() => swapper.kill('SIGKILL'));
    const seen = new Map<string, number>();
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      const outcome = await mountInto(c.pid, { source: src, target: '/mnt/sw', readonly: true }).then(
        () => 'mounted',
        (e: FileError) => e.code,
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      if (outcome === 'mounted') await umountFrom(c.pid, '/mnt/sw');
    }
    swapper.kill('SIGKILL');
    await new Promise((r) => swapper.once('close', r));
    tt.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.ok([...seen.keys()].every((k) => ['mounted', 'ELOOP', 'ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(k)), [...seen.keys()].join(' '));
    const left = (await containerMounts(c)).filter((m) => m.includes('lodge-inject') || m.startsWith('/mnt/sw'));
    // A mount that landed while /mnt/sw was being swapped is removed by umount above; nothing may sit on "/".
    assert.ok(!(await containerMounts(c)).some((m) => m.startsWith('/ ') && !m.includes('ext4')), 'nothing mounted over the container root');
    for (const m of left) await umountFrom(c.pid, m.split(' ')[0]!);
    assert.deepEqual(await ourHostMounts(hostBefore, [...ours, '/']), []);
  });

  await t.test('mount: refuses a pid outside a container, and --shift without a user namespace', async () => {
    await rejectsHelper(mountInto(process.pid, { source: src, target: '/mnt/x' }), 'EPERM', /shares the helper's mount namespace/);
    await rejectsHelper(umountFrom(process.pid, '/mnt/x'), 'EPERM');
    await rejectsHelper(mountInto(2 ** 31 - 2, { source: src, target: '/mnt/x' }), 'ESRCH');
  });

  await t.test('devices: a node with /dev/null numbers works; cgroup rules gate other devices', async (tt) => {
    const nodes = await hostDir(tt, 'lodge-nodes-');
    await run('mknod', ['-m', '0666', join(nodes, 'null'), 'c', '1', '3']);
    await chown(join(nodes, 'null'), c.rootUid, c.rootGid);
    await mountInto(c.pid, { source: join(nodes, 'null'), target: '/dev/lodge-null' });
    const r = await sh(c, 'ls -ln /dev/lodge-null | cut -c1; stat -c "%u %g %t:%T" /dev/lodge-null; echo data > /dev/lodge-null && head -c 10 /dev/lodge-null | wc -c');
    assert.equal(r.stdout.replace(/ +/g, ' '), 'c\n0 0 1:3\n0\n', r.stderr);

    const major = await unusedCharMajor();
    await run('mknod', ['-m', '0666', join(nodes, 'exp'), 'c', String(major), '0']);
    await chown(join(nodes, 'exp'), c.rootUid, c.rootGid);
    await mountInto(c.pid, { source: join(nodes, 'exp'), target: '/dev/lodge-exp' });
    const open = async (): Promise<string> => (await sh(c, 'cat /dev/lodge-exp 2>&1')).stdout;
    assert.match(await open(), /Operation not permitted/);
    await cgroupSet(c.lxcpath, c.name, 'devices.allow', deviceRule('c', major, 0));
    assert.match(await open(), /No such device or address/); // allowed now: no driver behind it
    await cgroupSet(c.lxcpath, c.name, 'devices.deny', deviceRule('c', major, 0));
    assert.match(await open(), /Operation not permitted/);
    await rejectsHelper(cgroupSet(c.lxcpath, 'no-such-container', 'devices.allow', deviceRule('c', major, 0)), 'ESRCH');
    await rejectsHelper(cgroupSet(c.lxcpath, c.name, 'devices.allow', 'garbage'), 'EINVAL');
    assert.equal(await umountFrom(c.pid, '/dev/lodge-null'), true);
    assert.equal(await umountFrom(c.pid, '/dev/lodge-exp'), true);
    ours.push(nodes);
  });

  await t.test('netinfo: lo and a veth pair to a namespace the test made; many pids in one call', async (tt) => {
    // The peer lives in a network namespace of a process this test starts: nothing touches the host's network.
    const sleeper = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
    tt.after(() => sleeper.kill('SIGKILL'));
    const ownNet = (await stat('/proc/self/ns/net')).ino;
    for (let i = 0; i < 100 && (await stat(`/proc/${sleeper.pid}/ns/net`).catch(() => ({ ino: ownNet }))).ino === ownNet; i++) await new Promise((r) => setTimeout(r, 20));
    const inContainer = (args: string[]): Promise<unknown> => run('nsenter', [`--net=/proc/${c.pid}/ns/net`, 'ip', ...args]);
    const inPeer = (args: string[]): Promise<unknown> => run('nsenter', [`--net=/proc/${sleeper.pid}/ns/net`, 'ip', ...args]);
    await inContainer(['link', 'add', 'eth0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', String(sleeper.pid)]);
    await inContainer(['addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
    await inContainer(['link', 'set', 'eth0', 'up']);
    await inContainer(['link', 'set', 'lo', 'up']);
    await inPeer(['link', 'set', 'peer0', 'mtu', '1400']);
    await inPeer(['addr', 'add', '192.0.2.1/24', 'dev', 'peer0']);
    await inPeer(['link', 'set', 'peer0', 'up']);
    await inContainer(['link', 'add', 'down0', 'type', 'veth', 'peer', 'name', 'down1']);
    const ping = await sh(c, 'ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null; echo $?');
    assert.equal(ping.stdout, '0\n', ping.stderr);

    const nets = (await netInfo([c.pid])).get(c.pid);
    assert.ok(nets, 'netinfo for the container');
    assert.deepEqual(Object.keys(nets).sort(), ['down0', 'down1', 'eth0', 'lo']);
    const eth0 = nets.eth0!;
    const mac = (await sh(c, 'cat /sys/class/net/eth0/address')).stdout.trim();
    assert.deepEqual({ ...eth0, addresses: [], counters: undefined }, { addresses: [], counters: undefined, hwaddr: mac, host_name: '', mtu: 1400, state: 'up', type: 'broadcast' });
    assert.deepEqual(eth0.addresses.find((a) => a.family === 'inet'), { family: 'inet', address: '192.0.2.2', netmask: '24', scope: 'global' });
    assert.ok(eth0.addresses.some((a) => a.family === 'inet6' && a.address.startsWith('fe80:') && a.netmask === '64' && a.scope === 'link'), JSON.stringify(eth0.addresses));
    assert.ok(eth0.counters.packets_sent >= 3 && eth0.counters.packets_received >= 3, JSON.stringify(eth0.counters));
    assert.ok(eth0.counters.bytes_sent >= 3 * 84 && eth0.counters.bytes_received >= 3 * 84, JSON.stringify(eth0.counters));
    assert.deepEqual(Object.keys(eth0.counters).sort(), [
      'bytes_received', 'bytes_sent', 'errors_received', 'errors_sent', 'packets_dropped_inbound', 'packets_dropped_outbound', 'packets_received', 'packets_sent',
    ]);
    assert.deepEqual(nets.lo!.addresses, [
      { family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' },
      { family: 'inet6', address: '::1', netmask: '128', scope: 'local' },
    ]);
    assert.deepEqual([nets.lo!.type, nets.lo!.hwaddr, nets.lo!.state], ['loopback', '', 'up']);
    assert.deepEqual([nets.down0!.state, nets.down0!.type, nets.down0!.addresses, nets.down0!.mtu], ['down', 'broadcast', [], 1500]);

    // Several pids in one process: the host's own namespace and a dead pid are left out.
    const many = await netInfo([c.pid, sleeper.pid!, process.pid, 2 ** 31 - 2]);
    assert.deepEqual([...many.keys()].sort(), [c.pid, sleeper.pid!].sort());
    assert.deepEqual(Object.keys(many.get(sleeper.pid!)!).sort(), ['lo', 'peer0']);
    assert.equal((await netInfo([process.pid])).size, 0);

    // The long-lived server answers the same, request after request, and comes back if its process dies.
    const server = new NetinfoServer();
    tt.after(() => server.close());
    assert.deepEqual(stripCounters(await server.read([c.pid, sleeper.pid!, process.pid])), stripCounters(await netInfo([c.pid, sleeper.pid!, process.pid])));
    assert.equal((await server.read([2 ** 31 - 2])).size, 0);
    const [first, second] = await Promise.all([server.read([c.pid]), server.read([sleeper.pid!])]);
    assert.deepEqual([[...first.keys()], [...second.keys()]], [[c.pid], [sleeper.pid!]]);
    // Between requests the server is back in its own namespace: left in the last one it read, it would keep that
    // namespace (and the host end of every veth whose peer is there) alive after the container stopped.
    assert.equal((await stat(`/proc/${(server as unknown as { child: { pid: number } }).child.pid}/ns/net`)).ino, ownNet);
    (server as unknown as { child: { kill(s: string): void } }).child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...(await server.read([c.pid])).keys()], [c.pid]);

    // Timing: what `lxc list` costs per running instance.
    const time = async (pids: number[], rounds: number): Promise<number> => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await netInfo(pids);
      return Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    };
    await time([c.pid], 3);
    const single = await time([c.pid], 30);
    const raw40 = Array.from({ length: 40 }, () => ['--pid', String(c.pid)]).flat();
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) await run(helperPath(), ['netinfo', ...raw40]);
    const batch40 = Number(process.hrtime.bigint() - started) / 1e6 / 20;
    const served = process.hrtime.bigint();
    for (let i = 0; i < 30; i++) await server.read([c.pid]);
    const viaServer = Number(process.hrtime.bigint() - served) / 1e6 / 30;
    // Reported, never asserted: benchmarks are not tests.
    tt.diagnostic(`netinfo: ${single.toFixed(2)} ms for one pid, ${batch40.toFixed(2)} ms for 40 pids in one call, ${viaServer.toFixed(2)} ms through the server`);
  });

  assert.deepEqual(await ourHostMounts(hostBefore, [...ours, '/']), []);
});

/** Interfaces without their counters (which move between two reads). */
function stripCounters(m: Map<number, Record<string, { counters?: unknown }>>): [number, Record<string, unknown>][] {
  return [...m.entries()].sort(([a], [b]) => a - b).map(([pid, nets]) => [pid, Object.fromEntries(Object.entries(nets).map(([k, v]) => [k, { ...v, counters: undefined }]))]);
}
