// lodge-helper against a real unprivileged LXC container made by the test (busybox rootfs,
// idmapped), and against a stopped container's rootfs: exec, file round trips, and escapes; mount
// and device hotplug (locking, shifting, symlinked targets), cgroup device rules, network state,
// and the hook notification against a small unix-socket HTTP server.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import {
  attachArgs,
  attachedPid,
  cgroupSet,
  deviceRule,
  exitStatus,
  FileError,
  fileDelete,
  fileGet,
  filePut,
  fileStat,
  helperPath,
  mountInto,
  netInfo,
  notifyArgs,
  signalAttached,
  umountFrom,
  type AttachOptions,
  type FileTarget,
} from '../../../packages/daemon/dist/sys/helper.js';
import { defaultDeviceRules } from '../../../packages/daemon/dist/instance/lxc/config.js';
import { NetinfoServer } from '../../../packages/daemon/dist/sys/netinfo-server.js';
import { busyboxImage } from '../helpers/images.js';
import { run } from '../helpers/run.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const skip = process.getuid?.() !== 0 || spawnSync('lxc-start', ['--version']).status !== 0 ? 'needs root and LXC' : false;

interface Container {
  lxcpath: string;
  name: string;
  /** Its payload cgroup (lxc.cgroup.dir.container), which attach is given. */
  cgroup: string;
  rootfs: string;
  pid: number;
  /** Host ids of the container's root. */
  rootUid: number;
  rootGid: number;
}

async function subordinateRange(file: string): Promise<[number, number]> {
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [user, start, count] = line.split(':');
    if (user === 'root' && Number(count) >= 65536) return [Number(start), 65536];
  }
  throw new Error(`no subordinate range of 65536 ids for root in ${file}`);
}

/** A busybox rootfs in a fresh directory (mode 0755 so the container's root can reach it). */
async function makeRootfs(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-native-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await run('tar', ['-C', dir, '-xzf', (await busyboxImage()).unified, 'rootfs']);
  return dir;
}

/** Starts an unprivileged container on a busybox rootfs; stops it and removes it when t ends. */
async function startContainer(t: TestContext, extraConfig: string[] = []): Promise<Container> {
  const lxcpath = await makeRootfs(t);
  const name = 'c1';
  // Cgroups of their own, as lodged gives its containers (LXC's default name is per container name only).
  const cgroup = `lodge-test-${randomBytes(4).toString('hex')}.payload.${name}`;
  const rootfs = join(lxcpath, 'rootfs');
  const [uidStart, uidCount] = await subordinateRange('/etc/subuid');
  const [gidStart, gidCount] = await subordinateRange('/etc/subgid');
  await mkdir(join(lxcpath, name));
  await writeFile(
    join(lxcpath, name, 'config'),
    [
      `lxc.uts.name = ${name}`,
      `lxc.rootfs.path = dir:${rootfs}`,
      'lxc.rootfs.options = idmap=container',
      `lxc.idmap = u 0 ${uidStart} ${uidCount}`,
      `lxc.idmap = g 0 ${gidStart} ${gidCount}`,
      'lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed',
      'lxc.net.0.type = empty',
      'lxc.apparmor.profile = unconfined',
      'lxc.init.cmd = /sbin/init',
      'lxc.tty.max = 0',
      `lxc.log.file = ${join(lxcpath, name, 'lxc.log')}`,
      `lxc.cgroup.dir.container = ${cgroup}`,
      `lxc.cgroup.dir.monitor = ${cgroup.replace('.payload.', '.monitor.')}`,
      ...extraConfig,
      '',
    ].join('\n'),
  );
  t.after(async () => {
    await run('lxc-stop', ['-P', lxcpath, '-n', name, '-k'], { allowFail: true, timeoutMs: 30_000 });
  });
  await run('lxc-start', ['-P', lxcpath, '-n', name]);
  await run('lxc-wait', ['-P', lxcpath, '-n', name, '-s', 'RUNNING', '-t', '30']);
  const pid = Number((await run('lxc-info', ['-P', lxcpath, '-n', name, '-pH'])).stdout.trim());
  assert.ok(pid > 1, 'container init pid');
  return { lxcpath, name, cgroup, rootfs, pid, rootUid: uidStart, rootGid: gidStart };
}

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function execIn(c: Container, o: Partial<AttachOptions> & { command: string[] }, input = '', env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  const { file, args } = attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, env: { PATH }, ...o });
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitStatus(code, signal), stdout, stderr }));
    child.stdin.on('error', () => undefined); // EPIPE when the helper exits without reading (cannot attach)
    child.stdin.end(input);
  });
}

async function readAll(r: Readable | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r ?? []) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function getText(target: FileTarget, path: string): Promise<string> {
  return (await readAll((await fileGet(target, path)).content)).toString();
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<FileError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FileError, `expected a FileError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('lodge-helper in a running unprivileged container', { skip, timeout: 240_000 }, async (t) => {
  const c = await startContainer(t);
  const running: FileTarget = { pid: c.pid };

  await t.test('exec: exit codes like a shell, 125 when the helper cannot attach', async () => {
    assert.equal((await execIn(c, { command: ['true'] })).code, 0);
    assert.equal((await execIn(c, { command: ['sh', '-c', 'exit 7'] })).code, 7);
    assert.equal((await execIn(c, { command: ['sh', '-c', 'kill -9 $$'] })).code, 137);
    const missing = await execIn(c, { command: ['no-such-command'] });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /no-such-command: No such file or directory/);
    const notExec = await execIn(c, { command: ['/etc/hostname'] });
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /Permission denied/);
    const noContainer = await execIn({ ...c, name: 'nope' }, { command: ['true'] });
    assert.equal(noContainer.code, 125);
    assert.match(noContainer.stderr, /container nope is not running/);
    const unmapped = await execIn(c, { uid: 70000, command: ['true'] });
    assert.equal(unmapped.code, 125);
    assert.match(unmapped.stderr, /uid 70000 is not mapped/);
  });

  await t.test('exec: the command joins the container’s cgroups without liblxc; a cgroup its init is not in runs nothing', async () => {
    const inside = await execIn(c, { command: ['cat', '/proc/self/cgroup'] });
    assert.equal(inside.code, 0, inside.stderr);
    for (const line of inside.stdout.trim().split('\n')) assert.match(line, /^0::\/\.lxc$|^\d+:[^:]+:\/$/);
    const paths = async (pid: number): Promise<string[]> => (await readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n').map((l) => l.split(':').slice(2).join(':'));
    const { file, args } = attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, env: { PATH }, command: ['sleep', '300'] });
    const helper = spawn(file, args, { stdio: 'ignore' });
    const done = new Promise<number>((resolve) => helper.on('close', (code, sig) => resolve(exitStatus(code, sig))));
    let command: number | undefined;
    try {
      for (let i = 0; i < 500 && (command = attachedPid(helper.pid!)) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(command, 'the command started');
      for (const p of await paths(command)) assert.ok(p === `/${c.cgroup}` || p === `/${c.cgroup}/.lxc`, `the command is in ${p}`);
      for (const p of await paths(helper.pid!)) assert.ok(!p.includes(c.cgroup), `the helper is in ${p}`);
    } finally {
      helper.kill('SIGKILL');
    }
    assert.equal(await done, 128 + constants.signals.SIGKILL);
    // Killing the helper kills the process between it and the command, and so the command (parent-death signals).
    for (let i = 0; i < 500 && (await stat(`/proc/${command}`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(stat(`/proc/${command}`), /ENOENT/, 'the command is gone');

    await rm(join(c.rootfs, 'ran'), { force: true });
    for (const cgroup of ['lodge-test-none.payload.c1', '..', 'a/b']) {
      const wrong = await execIn({ ...c, cgroup }, { command: ['touch', '/ran'] });
      assert.equal(wrong.code, 125, cgroup);
      assert.match(wrong.stderr, new RegExp(`cannot use cgroup .* of container c1: (finding the container's init in it: No such process|checking the cgroup name: Invalid argument)`));
    }
    await assert.rejects(lstat(join(c.rootfs, 'ran')), /ENOENT/, 'nothing ran');
  });

  await t.test('exec: cwd, uid/gid and a clean environment', async () => {
    const r = await execIn(
      c,
      { uid: 1000, gid: 1001, cwd: '/tmp', env: { PATH, FOO: 'bar baz' }, command: ['sh', '-c', 'pwd; id -u; id -g; id -G; env'] },
      '',
      { ...process.env, LODGE_LEAK: 'host-secret' },
    );
    assert.equal(r.code, 0, r.stderr);
    const [pwd, uid, gid, groups, ...env] = r.stdout.trim().split('\n');
    assert.deepEqual([pwd, uid, gid, groups], ['/tmp', '1000', '1001', '1001']);
    const names = env.map((l) => l.split('=')[0]).sort();
    assert.deepEqual(names, ['FOO', 'PATH', 'PWD', 'SHLVL', 'container']);
    assert.ok(env.includes('FOO=bar baz'));
    assert.ok(!r.stdout.includes('host-secret'));
    // cwd defaults to HOME (as LXD); a missing cwd leaves the command in / (as liblxc and LXD).
    assert.equal((await execIn(c, { env: { PATH, HOME: '/root' }, command: ['pwd'] })).stdout, '/root\n');
    assert.equal((await execIn(c, { cwd: '/nonexistent', command: ['pwd'] })).stdout, '/\n');
    const root = await execIn(c, { command: ['id'] });
    assert.match(root.stdout, /^uid=0\(root\) gid=0\(root\)/);
  });

  await t.test('exec: stdin reaches the command', async () => {
    const r = await execIn(c, { command: ['sh', '-c', 'read x; echo "got:$x"; cat; exit 3'] }, 'hello\nrest of input\n');
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'got:hello\nrest of input\n');
  });

  await t.test('exec: signals sent to the helper reach the command; SIGKILL kills it through the helper', async () => {
    const { file, args } = attachArgs({
      lxcpath: c.lxcpath,
      name: c.name,
      cgroup: c.cgroup,
      env: { PATH },
      command: ['sh', '-c', 'trap "echo got-usr1" USR1; trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'],
    });
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) resolve();
      }),
    );
    const closed = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(exitStatus(code, sig))));
    await ready;
    signalAttached(child.pid!, constants.signals.SIGUSR1);
    await new Promise((r) => setTimeout(r, 300));
    signalAttached(child.pid!, constants.signals.SIGTERM);
    assert.equal(await closed, 42);
    assert.equal(out, 'ready\ngot-usr1\ngot-term\n');

    // Default actions: killed by the forwarded signal, reported as 128+N.
    const { file: f2, args: a2 } = attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, env: { PATH }, command: ['sleep', '300'] });
    for (const sig of ['SIGUSR2', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGSEGV', 'SIGKILL'] as const) {
      const sleeper = spawn(f2, a2, { stdio: 'ignore' });
      const done = new Promise<number>((resolve) => sleeper.on('close', (code, s) => resolve(exitStatus(code, s))));
      let cmdPid: number | undefined;
      for (let i = 0; i < 100 && cmdPid === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const p = attachedPid(sleeper.pid!);
        if (p !== undefined && (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).startsWith('sleep')) cmdPid = p;
      }
      assert.ok(cmdPid, 'the command runs as the helper child');
      signalAttached(sleeper.pid!, constants.signals[sig]);
      assert.equal(await done, 128 + constants.signals[sig], sig);
      // The command is gone too, also when the helper itself was SIGKILLed.
      for (let i = 0; i < 50 && (await stat(`/proc/${cmdPid}`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(stat(`/proc/${cmdPid}`), `${sig}: the command is still running`);
    }
  });

  await t.test('exec: on a pty, terminal signals reach the command once (not again through the helper)', { skip: spawnSync('python3', ['-V']).status !== 0 && 'needs python3' }, async () => {
    const { file, args } = attachArgs({
      lxcpath: c.lxcpath,
      name: c.name,
      cgroup: c.cgroup,
      env: { PATH },
      command: ['sh', '-c', "trap 'echo INT' INT; trap 'echo WINCH $(stty size)' WINCH; echo ready; while :; do sleep 0.1; done"],
    });
    // A tiny pty driver: the helper is the session leader of a new pty, as lodged will run it.
    const driver = `
import os, pty, select, signal, sys, time, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def pump(t, until=None):
    global out
    end = time.time() + t
    while time.time() < end and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try: out += os.read(fd, 4096)
            except OSError: return
pump(20, b'ready')
os.write(fd, b'\\x03'); pump(5, b'INT')
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 100, 0, 0)); pump(5, b'WINCH')
pump(0.5)
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
sys.stdout.write(repr(out) + '\\n' + str(os.waitstatus_to_exitcode(st)) + '\\n')
`;
    const r = await run('python3', ['-c', driver, file, ...args], { timeoutMs: 60_000 });
    const [out, status] = r.stdout.trim().split('\n');
    assert.equal((out!.match(/INT\\r\\n/g) ?? []).length, 1, out);
    assert.equal((out!.match(/WINCH 40 100/g) ?? []).length, 1, out);
    assert.equal(status, '143'); // SIGTERM forwarded: the shell died of it
  });

  await t.test('files: content, mode and ownership round trip as seen in the container', async () => {
    await filePut(running, '/root/f1', { uid: 1000, gid: 1001, mode: 0o640 }, 'hello\n');
    const { header, content } = await fileGet(running, '/root/f1');
    assert.deepEqual({ ...header, mtime: 0 }, { type: 'file', uid: 1000, gid: 1001, mode: 0o640, size: 6, mtime: 0 });
    assert.ok(Math.abs(header.mtime - Date.now() / 1000) < 3600);
    assert.equal((await readAll(content)).toString(), 'hello\n');
    assert.equal((await execIn(c, { command: ['stat', '-c', '%u %g %a', '/root/f1'] })).stdout, '1000 1001 640\n');
    // The rootfs holds the container's own ids (idmapped mount, no shifting).
    const onDisk = await stat(join(c.rootfs, 'root/f1'));
    assert.deepEqual([onDisk.uid, onDisk.gid], [1000, 1001]);

    // Default: 0644, owned by the container's root; a file made in the container reads back.
    await filePut(running, '/root/f2', {}, Buffer.from('x'));
    assert.deepEqual(await fileStat(running, '/root/f2').then((h) => [h.uid, h.gid, h.mode]), [0, 0, 0o644]);
    await execIn(c, { uid: 1000, gid: 1000, command: ['sh', '-c', 'echo made-inside > /tmp/inside; chmod 4750 /tmp/inside'] });
    const inside = await fileGet(running, '/tmp/inside');
    assert.deepEqual([inside.header.uid, inside.header.gid, inside.header.mode], [1000, 1000, 0o4750]);
    assert.equal((await readAll(inside.content)).toString(), 'made-inside\n');

    // Large binary content streams both ways intact.
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await filePut(running, '/root/big', {}, Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
    const back = await readAll((await fileGet(running, '/root/big')).content);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
  });

  await t.test('files: a range of a regular file (HTTP Range), the header keeping the whole size', async () => {
    await filePut(running, '/root/range', {}, '0123456789');
    const part = await fileGet(running, '/root/range', { range: { offset: 3, length: 4 } });
    assert.equal(part.header.size, 10);
    assert.equal((await readAll(part.content)).toString(), '3456');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 8 } })).content)).toString(), '89');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 0, length: 0 } })).content)).toString(), '');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 20, length: 5 } })).content)).toString(), '');
    const big = randomBytes(300 * 1024);
    await filePut(running, '/root/range-big', {}, big);
    const mid = await readAll((await fileGet(running, '/root/range-big', { range: { offset: 100_000, length: 150_000 } })).content);
    assert.ok(mid.equals(big.subarray(100_000, 250_000)));
    // A directory ignores the range: its listing comes in the header.
    assert.ok((await fileGet(running, '/root', { range: { offset: 1, length: 1 } })).header.entries?.includes('range'));
  });

  await t.test('files: overwrite keeps owner and mode, append never creates', async () => {
    await filePut(running, '/root/w', { mode: 0o600, uid: 5, gid: 6 }, 'first version\n');
    await filePut(running, '/root/w', { mode: 0o777, uid: 0, gid: 0 }, 'second\n');
    let h = await fileStat(running, '/root/w');
    assert.deepEqual([h.uid, h.gid, h.mode, h.size], [5, 6, 0o600, 7]);
    await filePut(running, '/root/w', { append: true, mode: 0o644 }, 'more\n');
    assert.equal(await getText(running, '/root/w'), 'second\nmore\n');
    h = await fileStat(running, '/root/w');
    assert.equal(h.mode, 0o600);
    const e = await rejectsWith(filePut(running, '/root/not-there', { append: true }, 'x'), 'ENOENT');
    assert.equal(e.status, 404);
    await rejectsWith(fileStat(running, '/root/not-there'), 'ENOENT');
    await rejectsWith(filePut(running, '/no/such/dir/f', {}, 'x'), 'ENOENT');
    await rejectsWith(filePut(running, '/root', {}, 'x'), 'EISDIR');
    assert.equal((await rejectsWith(filePut(running, '/proc/version', {}, 'x'), 'EACCES')).status, 403);
    assert.match(await getText(running, '/proc/version'), /^Linux version/);
  });

  await t.test('files: directories and deletion', async () => {
    await filePut(running, '/root/d1', { type: 'directory' });
    let h = await fileStat(running, '/root/d1');
    assert.deepEqual([h.type, h.uid, h.gid, h.mode], ['directory', 0, 0, 0o750]);
    await filePut(running, '/root/d1', { type: 'directory', mode: 0o700 }); // exists: no-op
    assert.equal((await fileStat(running, '/root/d1')).mode, 0o750);
    await filePut(running, '/root/d1/sub', { type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
    h = await fileStat(running, '/root/d1/sub');
    assert.deepEqual([h.uid, h.gid, h.mode], [1000, 1000, 0o755]);
    await filePut(running, '/root/d1/f', {}, 'x');
    const listing = await fileGet(running, '/root/d1');
    assert.equal(listing.content, undefined);
    assert.deepEqual(listing.header.entries?.sort(), ['f', 'sub']);
    assert.ok((await fileGet(running, '/')).header.entries?.includes('etc'));
    await rejectsWith(fileDelete(running, '/root/d1'), 'ENOTEMPTY');
    await fileDelete(running, '/root/d1/f');
    await fileDelete(running, '/root/d1/sub');
    await fileDelete(running, '/root/d1');
    await rejectsWith(fileStat(running, '/root/d1'), 'ENOENT');
    await rejectsWith(fileDelete(running, '/root/d1'), 'ENOENT');
  });

  await t.test('files: symlinks are created verbatim and read with LXD target rules', async () => {
    await filePut(running, '/root/target', {}, 'target content');
    await filePut(running, '/root/l1', { type: 'symlink' }, 'target');
    await filePut(running, '/root/l2', { type: 'symlink' }, '../../../../../etc/passwd');
    await filePut(running, '/root/l3', { type: 'symlink' }, '/nonexistent/x');
    const l1 = await fileGet(running, '/root/l1');
    assert.deepEqual([l1.header.type, l1.header.mode, l1.header.target, l1.content], ['symlink', 0o777, '/root/target', undefined]);
    assert.equal((await fileStat(running, '/root/l2')).target, '/etc/passwd');
    assert.equal((await fileStat(running, '/root/l3')).target, '/nonexistent/x');
    assert.equal((await execIn(c, { command: ['readlink', '/root/l2'] })).stdout, '../../../../../etc/passwd\n');
    await filePut(running, '/root/l1', { type: 'symlink' }, 'target'); // same target: no-op
    await rejectsWith(filePut(running, '/root/l1', { type: 'symlink' }, 'other'), 'EEXIST');
    await rejectsWith(filePut(running, '/root/target', { type: 'symlink' }, 'x'), 'EEXIST');
    // Writes follow a final symlink, inside the container (as LXD).
    await filePut(running, '/root/l1', {}, 'via link');
    assert.equal(await getText(running, '/root/target'), 'via link');
    await fileDelete(running, '/root/l1');
    assert.equal(await getText(running, '/root/target'), 'via link');
  });

  await t.test('files: in-container mounts are seen by a running container, not on disk', async () => {
    const m = await execIn(c, { command: ['sh', '-c', 'mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t && echo on-tmpfs > /mnt/t/x'] });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(await getText(running, '/mnt/t/x'), 'on-tmpfs\n');
    await rejectsWith(fileStat({ root: c.rootfs }, '/mnt/t/x'), 'ENOENT');
    await execIn(c, { command: ['umount', '/mnt/t'] });
  });

  await t.test('files: FIFOs, devices and sockets give an error at once, never a hang', async () => {
    await execIn(c, { command: ['mkfifo', '/tmp/fifo'] });
    for (const op of [
      () => fileGet(running, '/tmp/fifo'),
      () => filePut(running, '/tmp/fifo', {}, 'x'),
      () => filePut(running, '/tmp/fifo', { append: true }, 'x'),
      () => fileGet(running, '/dev/null'),
    ]) {
      const started = Date.now();
      const e = await rejectsWith(Promise.race([op(), new Promise((_, rej) => setTimeout(() => rej(new Error('hung')), 5000))]), 'EINVAL');
      assert.ok(Date.now() - started < 2000);
      assert.equal(e.status, 400);
    }
    assert.equal((await fileStat(running, '/tmp/fifo').catch((e: FileError) => e.code)), 'EINVAL');
  });

  await t.test('escapes: running container', async (tt) => {
    await escapeChecks(tt, running);
  });

  await t.test('escapes: paths swapped by the container during operations never reach the host or hang', async (tt) => {
    const marker = await mkdtemp(join(tmpdir(), 'lodge-marker-'));
    tt.after(() => rm(marker, { recursive: true, force: true }));
    await writeFile(join(marker, 'secret'), 'HOST-SECRET\n');
    // In the container: /root/sw flips between a real directory and a symlink to the host
    // marker's path; /root/sw2 flips between a regular file and a FIFO.
    const { file, args } = attachArgs({
      lxcpath: c.lxcpath,
      name: c.name,
      cgroup: c.cgroup,
      env: { PATH },
      command: [
        'sh',
        '-c',
        `while :; do rm -rf /root/sw /root/sw2; mkdir /root/sw; echo inside > /root/sw/secret; echo data > /root/sw2; ` +
          `rm -rf /root/sw /root/sw2; ln -s ${marker} /root/sw; mkfifo /root/sw2; done`,
      ],
    });
    const swapper = spawn(file, args, { stdio: 'ignore' });
    tt.after(() => swapper.kill('SIGKILL'));
    const seen = new Set<string>();
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const started = Date.now();
      const results = await Promise.allSettled([
        getText(running, '/root/sw/secret'),
        filePut(running, '/root/sw/secret', { append: true }, 'PWNED\n'),
        getText(running, '/root/sw2'),
      ]);
      // A hang never returns; 10 s only tells one apart from a slow round on a loaded two-core CI machine.
      assert.ok(Date.now() - started < 10_000, 'an operation hung');
      for (const r of results) {
        if (r.status === 'fulfilled') seen.add(r.value === undefined ? 'ok' : `read:${r.value.trim()}`);
        else seen.add((r.reason as FileError).code);
      }
    }
    swapper.kill('SIGKILL');
    tt.diagnostic(`outcomes: ${JSON.stringify([...seen])}`);
    assert.ok(!seen.has('read:HOST-SECRET'), [...seen].join(' '));
    // Reads see only what the container itself wrote: its shell's "inside"/"data" and our appends, in any
    // interleaving (two appends can land in one round of a slow swapper, or between its open and its write).
    const containerBytes = /^read:[insdeatPWNED\n]*$/;
    const errors = ['ENOENT', 'EINVAL', 'EAGAIN', 'EISDIR'];
    assert.ok(
      [...seen].every((s) => s === 'ok' || errors.includes(s) || containerBytes.test(s)),
      [...seen].join(' '),
    );
    assert.equal(await readFile(join(marker, 'secret'), 'utf8'), 'HOST-SECRET\n');
    assert.deepEqual(await readdir(marker), ['secret']);
  });

  await t.test('the helper refuses a pid that is not in a container', async () => {
    const e = await rejectsWith(fileGet({ pid: process.pid }, '/etc/hostname'), 'EPERM');
    assert.match(e.message, /shares the helper's mount namespace/);
    await rejectsWith(fileGet({ pid: 2 ** 31 - 2 }, '/etc/hostname'), 'ESRCH');
  });
});

/** A running `attach --pty`: its relay's output so far, input, control lines and the exit status. */
interface PtySession {
  child: ChildProcessWithoutNullStreams;
  output(): Buffer;
  text(): string;
  waitFor(what: string | RegExp, ms?: number): Promise<void>;
  control(line: string): void;
  done: Promise<number>;
}

function ptyExec(c: Container, o: Partial<AttachOptions> & { command: string[] }, size = { rows: 24, cols: 80 }): PtySession {
  const { file, args } = attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, env: { PATH, TERM: 'xterm' }, pty: size, controlFd: 3, ...o });
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.on('error', () => undefined);
  const ctl = child.stdio[3] as Writable;
  ctl.on('error', () => undefined);
  const output = (): Buffer => Buffer.concat(chunks);
  const done = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(exitStatus(code, sig))));
  return {
    child,
    output,
    text: () => output().toString('latin1'),
    waitFor: async (what, ms = 15_000) => {
      const end = Date.now() + ms;
      const hit = (): boolean => (typeof what === 'string' ? output().toString('latin1').includes(what) : what.test(output().toString('latin1')));
      while (!hit()) {
        if (Date.now() > end) assert.fail(`no ${String(what)} in ${JSON.stringify(output().toString('latin1'))} (stderr: ${stderr})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    control: (line) => ctl.write(line),
    done,
  };
}

test('lodge-helper attach --pty: a terminal from the container devpts, relayed', { skip, timeout: 240_000 }, async (t) => {
  const c = await startContainer(t, ['lxc.pty.max = 1024']);

  await t.test('the pty is /dev/pts/N inside, the controlling terminal of a new session, owned by uid/gid', async () => {
    const s = ptyExec(c, { uid: 1000, gid: 1001, command: ['sh', '-c', 'tty; stty size; stat -c "%u %g %a" $(tty); set -- $(cat /proc/$$/stat); echo "sid=$6 pid=$1 tty=$7"; stty -a | grep -c " hupcl .* clocal "; exit 3'] }, { rows: 30, cols: 100 });
    assert.equal(await s.done, 3);
    const [tty, size, owner, session, lxdFlags] = s.text().split('\r\n');
    assert.equal(lxdFlags, '1', 'hupcl and clocal, as LXD sets them');
    assert.match(tty!, /^\/dev\/pts\/\d+$/);
    assert.equal(size, '30 100');
    const [uid, gid, mode] = owner!.split(' ');
    assert.deepEqual([uid, gid], ['1000', '1001']);
    assert.equal(parseInt(mode!, 8) & 0o077, 0, `nobody else may open it: ${mode}`);
    const m = /^sid=(\d+) pid=(\d+) tty=(\d+)$/.exec(session!);
    assert.ok(m, session);
    assert.equal(m[1], m[2], 'the command leads its own session');
    const n = Number(/(\d+)$/.exec(tty!)![1]);
    assert.equal(Number(m[3]), (136 << 8) | (n & 0xff) | ((n >> 8) << 20), 'its controlling terminal is that pty');
  });

  await t.test('resize lines on the control descriptor reach the command as SIGWINCH', async () => {
    const s = ptyExec(c, { command: ['sh', '-c', "trap 'echo size $(stty size)' WINCH; echo ready; while :; do sleep 0.1; done"] });
    await s.waitFor('ready');
    s.control('resize 40 100\n');
    await s.waitFor('size 40 100');
    s.control('bogus line\nresize 50');
    s.control(' 120\n');
    await s.waitFor('size 50 120');
    s.child.stdin.write('\x03'); // ^C: the kernel's SIGINT to the foreground job
    assert.equal(await s.done, 130);
  });

  await t.test('^C and ^D are data for the terminal; the end of stdin leaves the command running', async () => {
    const sleeper = ptyExec(c, { command: ['sh', '-c', 'echo ready; exec sleep 100'] });
    await sleeper.waitFor('ready');
    sleeper.child.stdin.write('\x03');
    assert.equal(await sleeper.done, 130);

    const cat = ptyExec(c, { command: ['sh', '-c', 'cat >/dev/null; echo eof'] });
    cat.child.stdin.write('abc\n\x04');
    assert.equal(await cat.done, 0);
    assert.match(cat.text(), /eof\r\n$/);

    const alone = ptyExec(c, { command: ['sh', '-c', 'sleep 1; echo still here; test -t 0 && echo tty'] });
    alone.child.stdin.end();
    assert.equal(await alone.done, 0);
    assert.equal(alone.text(), 'still here\r\ntty\r\n');
  });

  await t.test('binary bytes pass both ways untouched in raw mode; large output is drained before the exit', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const s = ptyExec(c, { command: ['sh', '-c', 'stty raw -echo; echo ready; head -c 256 | od -An -tx1 -v | tr -d " \\n"; printf "\\nend\\n"'] });
    await s.waitFor('ready');
    s.child.stdin.write(bytes);
    assert.equal(await s.done, 0);
    assert.equal(s.text(), `ready\n${bytes.toString('hex')}\nend\n`);

    const data = randomBytes(1 << 20);
    await filePut({ pid: c.pid }, '/tmp/blob', {}, data);
    const cat = ptyExec(c, { command: ['sh', '-c', 'stty raw; cat /tmp/blob'] });
    assert.equal(await cat.done, 0);
    assert.ok(cat.output().equals(data), `got ${cat.output().length} bytes`);

    // Output comes through cooked (\n -> \r\n), all of it, when the command exits at once.
    const seq = ptyExec(c, { command: ['seq', '1', '100000'] });
    assert.equal(await seq.done, 0);
    const lines = seq.text().split('\r\n');
    assert.equal(lines.length, 100001);
    assert.equal(lines[99999], '100000');
  });

  await t.test('signals from processes reach the command; SIGKILL of the helper ends it; no descriptors leak', async () => {
    const s = ptyExec(c, {
      command: ['sh', '-c', 'trap "echo got-usr1" USR1; trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'],
    });
    await s.waitFor('ready');
    const shell = attachedPid(s.child.pid!);
    assert.deepEqual((await readdir(`/proc/${shell}/fd`)).sort(), ['0', '1', '2'], 'only the pty is open in the command');
    signalAttached(s.child.pid!, constants.signals.SIGUSR1);
    await s.waitFor('got-usr1');
    signalAttached(s.child.pid!, constants.signals.SIGTERM);
    assert.equal(await s.done, 42);

    const k = ptyExec(c, { command: ['sh', '-c', 'echo ready; exec sleep 300'] });
    await k.waitFor('ready');
    const cmdPid = attachedPid(k.child.pid!);
    assert.ok(cmdPid);
    k.child.kill('SIGKILL');
    assert.equal(await k.done, 137);
    for (let i = 0; i < 50 && (await stat(`/proc/${cmdPid}`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(stat(`/proc/${cmdPid}`), 'the command is still running');
  });

  await t.test('a background job holding the terminal does not keep the helper after the command exits', async () => {
    const started = Date.now();
    const s = ptyExec(c, { command: ['sh', '-c', 'trap "" HUP; sleep 30 & echo started'] });
    assert.equal(await s.done, 0);
    assert.equal(s.text(), 'started\r\n');
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  await t.test('bad arguments and a stopped container: 125 before anything runs', async () => {
    const { file, args } = attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, command: ['true'] });
    for (const extra of [['--pty', '24'], ['--pty', '24x80x1'], ['--pty', '70000x80'], ['--control-fd', '3'], ['--pty', '24x80', '--control-fd', '2'], ['--pty', '24x80', '--control-fd', '9']]) {
      const r = await run(file, [...args.slice(0, 5), ...extra, ...args.slice(5)], { allowFail: true });
      assert.equal(r.code, 125, `${extra.join(' ')}: ${r.stderr}`);
    }
    const gone = ptyExec({ ...c, name: 'nope' }, { command: ['true'] });
    assert.equal(await gone.done, 125);
  });

  await t.test('a container without a devpts instance gets a host pty (a terminal, without a name inside)', async () => {
    const plain = await startContainer(t);
    const s = ptyExec(plain, { command: ['sh', '-c', 'test -t 0 && echo terminal; stty size; tty'] }, { rows: 33, cols: 77 });
    assert.equal(await s.done, 1); // tty: not a tty
    assert.equal(s.text(), 'terminal\r\n33 77\r\nnot a tty\r\n');
  });
});

test('lodge-helper on a stopped container rootfs', { skip, timeout: 120_000 }, async (t) => {
  const rootfs = join(await makeRootfs(t), 'rootfs');
  const stopped: FileTarget = { root: rootfs };

  await t.test('files: round trip with the ids stored on disk', async () => {
    await filePut(stopped, '/root/f', { uid: 1000, gid: 1001, mode: 0o604 }, 'offline\n');
    const { header, content } = await fileGet(stopped, '/root/f');
    assert.deepEqual([header.type, header.uid, header.gid, header.mode, header.size], ['file', 1000, 1001, 0o604, 8]);
    assert.equal((await readAll(content)).toString(), 'offline\n');
    const onDisk = await stat(join(rootfs, 'root/f'));
    assert.deepEqual([onDisk.uid, onDisk.gid, onDisk.mode & 0o7777], [1000, 1001, 0o604]);
    assert.equal((await fileStat(stopped, '/sbin/init')).target, '/bin/busybox');
    assert.equal((await fileStat(stopped, '/etc/hostname')).uid, 0);
  });

  await t.test('escapes: stopped container', async (tt) => {
    await escapeChecks(tt, stopped);
  });
});

/** Every way out we know of, through the helper: none may read or write the host. */
async function escapeChecks(t: TestContext, target: FileTarget): Promise<void> {
  const marker = await mkdtemp(join(tmpdir(), 'lodge-marker-'));
  t.after(() => rm(marker, { recursive: true, force: true }));
  await writeFile(join(marker, 'secret'), 'HOST-SECRET\n');
  const shadowBefore = await readFile('/etc/shadow').catch(() => Buffer.alloc(0));
  const up = '../'.repeat(16);
  const sym = (path: string, to: string): Promise<void> => filePut(target, path, { type: 'symlink' }, to);

  await filePut(target, '/root/esc', { type: 'directory' });
  await sym('/root/esc/abs', `${marker}/secret`); // absolute symlink to a host file
  await sym('/root/esc/rel', `${up}${marker.slice(1)}/secret`); // relative, climbing out
  await sym('/root/esc/dir', marker); // symlinked intermediate directory, absolute
  await sym('/root/esc/reldir', `${up}${marker.slice(1)}`); // ... and relative
  await sym('/root/esc/etc', '/etc'); // shadow-style: resolves to the container's /etc
  await sym('/root/esc/proc', '/proc/1/root'); // a magic link

  // Reads: the last component is never followed, and every other resolution stays inside.
  assert.equal((await fileStat(target, '/root/esc/abs')).type, 'symlink');
  assert.equal((await fileGet(target, '/root/esc/abs')).content, undefined);
  for (const path of [
    '/root/esc/dir/secret',
    '/root/esc/reldir/secret',
    `/${up}${marker.slice(1)}/secret`,
    `/root/${up}${marker.slice(1)}/secret`,
    `${up}${marker.slice(1)}/secret`,
    '/root/esc/etc/shadow',
  ]) {
    await rejectsWith(fileGet(target, path), 'ENOENT');
  }
  // A magic link is refused outright in a running container (ELOOP); a stopped rootfs has no /proc/1.
  await assert.rejects(fileGet(target, '/root/esc/proc/etc/hostname'), FileError);

  // Writes: nothing lands on the host, whatever the route.
  await rejectsWith(filePut(target, '/root/esc/abs', {}, 'PWNED'), 'ENOENT'); // dangling inside: no such dir
  await rejectsWith(filePut(target, '/root/esc/abs', { append: true }, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/rel', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/secret', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/new', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, `/${up}${marker.slice(1)}/new`, {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/newdir', { type: 'directory' }), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/newlink', { type: 'symlink' }, '/x'), 'ENOENT');
  await rejectsWith(fileDelete(target, '/root/esc/dir/secret'), 'ENOENT');
  await rejectsWith(fileDelete(target, `/${up}${marker.slice(1)}/secret`), 'ENOENT');

  // Writing through a dangling symlink whose directory exists in the container creates the file
  // there (as LXD does), never at the same path on the host.
  const name = `lodge-dangling-${randomBytes(4).toString('hex')}`;
  await sym('/root/esc/dangling', `/tmp/${name}`);
  await filePut(target, '/root/esc/dangling', { mode: 0o600 }, 'inside');
  assert.equal(await getText(target, `/tmp/${name}`), 'inside');
  assert.equal((await fileStat(target, `/tmp/${name}`)).mode, 0o600);
  await assert.rejects(lstat(join('/tmp', name)), 'not created on the host');

  // Deleting through links removes the link only.
  await fileDelete(target, '/root/esc/dir');
  await fileDelete(target, '/root/esc/abs');

  assert.equal(await readFile(join(marker, 'secret'), 'utf8'), 'HOST-SECRET\n');
  assert.deepEqual(await readdir(marker), ['secret']);
  assert.deepEqual(await readFile('/etc/shadow').catch(() => Buffer.alloc(0)), shadowBefore);
}

// ---------------------------------------------------------------------------------------------
// Hotplug (mount, umount, device nodes, cgroup device rules) and network state

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
    const { file, args } = attachArgs({
      lxcpath: c.lxcpath,
      name: c.name,
      cgroup: c.cgroup,
      env: { PATH },
      command: ['sh', '-c', 'while :; do rmdir /mnt/sw 2>/dev/null; rm -f /mnt/sw; mkdir /mnt/sw 2>/dev/null; rmdir /mnt/sw 2>/dev/null; ln -s / /mnt/sw 2>/dev/null; done'],
    });
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

// ---------------------------------------------------------------------------------------------
// notify: the LXC hook's request to the daemon

function runHelperRaw(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(helperPath(), args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitStatus(code, signal), stderr, ms: Date.now() - started }));
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

test('lodge-helper notify', { skip: spawnSync(helperPath(), ['--help']).status !== 0 && 'needs the built helper', timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-notify-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const http = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.startsWith('/internal/ok')) {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"type":"sync","status":"Success","status_code":200}');
      } else if (req.url!.startsWith('/internal/slow')) {
        setTimeout(() => res.end('late'), 5000).unref();
      } else {
        res.statusCode = 404;
        res.end('{"error":"not found"}');
      }
    });
  });
  const sock = join(dir, 'unix.socket');
  await listen(http, sock);
  t.after(() => new Promise((r) => http.close(r)));
  http.on('connection', (s) => t.after(() => s.destroy()));
  // A server that accepts and never answers, and one that hangs up at once.
  const silent = createNetServer((s) => {
    s.on('data', () => undefined);
    t.after(() => s.destroy());
  });
  await listen(silent, join(dir, 'silent.socket'));
  t.after(() => new Promise((r) => silent.close(r)));
  const rude = createNetServer((s) => s.destroy());
  await listen(rude, join(dir, 'rude.socket'));
  t.after(() => new Promise((r) => rude.close(r)));

  await t.test('2xx: exit 0; the request is a bodiless PUT with the query from the environment', async () => {
    const r = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok/default/c%201/stopped', envQuery: { LXC_TARGET: 'target', LXC_NOT_SET: 'x' } }), {
      ...process.env,
      LXC_TARGET: 're boot&x=1',
    });
    assert.equal(r.code, 0, r.stderr);
    const req = seen.at(-1)!;
    assert.deepEqual([req.method, req.url, req.body], ['PUT', '/internal/ok/default/c%201/stopped?target=re%20boot%26x%3D1', '']);
    assert.equal(req.headers['content-length'], '0');
    assert.equal(req.headers.connection, 'close');
    const again = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok?a=b', envQuery: { LXC_TARGET: 'target' } }), { ...process.env, LXC_TARGET: 'stop' });
    assert.equal(again.code, 0);
    assert.equal(seen.at(-1)!.url, '/internal/ok?a=b&target=stop');
  });

  await t.test('non-2xx: exit 1 with the status line; --best-effort: exit 0', async () => {
    const r = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/missing' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PUT \/internal\/missing: HTTP\/1.1 404 Not Found/);
    assert.equal((await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/missing', bestEffort: true }))).code, 0);
  });

  await t.test('no answer, a slow answer, a hang-up, no daemon: non-zero within the deadline, never a hang', async () => {
    const silentR = await runHelperRaw(notifyArgs({ socket: join(dir, 'silent.socket'), url: '/internal/ok' }));
    assert.equal(silentR.code, 3);
    assert.match(silentR.stderr, /no answer within 2000 ms/);
    assert.ok(silentR.ms >= 1900 && silentR.ms < 3000, `${silentR.ms} ms`);
    const slow = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/slow', timeoutMs: 300 }));
    assert.equal(slow.code, 3);
    assert.ok(slow.ms < 1500, `${slow.ms} ms`);
    const rudeR = await runHelperRaw(notifyArgs({ socket: join(dir, 'rude.socket'), url: '/internal/ok' }));
    assert.equal(rudeR.code, 3);
    assert.ok(rudeR.ms < 1500, `${rudeR.ms} ms`);
    const none = await runHelperRaw(notifyArgs({ socket: join(dir, 'none.socket'), url: '/internal/ok' }));
    assert.equal(none.code, 3);
    assert.match(none.stderr, /No such file or directory/);
    assert.equal((await runHelperRaw(notifyArgs({ socket: join(dir, 'none.socket'), url: '/internal/ok', bestEffort: true }))).code, 0);
    assert.equal((await runHelperRaw(['notify', '--socket', sock, '--url', 'no-slash'])).code, 2);
    assert.equal((await runHelperRaw(['notify', '--socket', sock, '--url', '/a b'])).code, 2);
  });

  await t.test('a socket path longer than sun_path still works', async () => {
    const deep = join(dir, 'd'.repeat(60), 'e'.repeat(60));
    await mkdir(deep, { recursive: true });
    const long = join(deep, 'lodge.socket');
    assert.ok(long.length > 108);
    const server = createHttpServer((_req, res) => res.end());
    // listen() itself needs a short path: bind through a relative path from the directory.
    const cwd = process.cwd();
    process.chdir(deep);
    try {
      await listen(server, 'lodge.socket');
    } finally {
      process.chdir(cwd);
    }
    t.after(() => new Promise((r) => server.close(r)));
    const r = await runHelperRaw(notifyArgs({ socket: long, url: '/internal/ok' }));
    assert.equal(r.code, 0, r.stderr);
  });

  await t.test('latency', async (tt) => {
    const rounds = 30;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) assert.equal((await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok' }))).code, 0);
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    tt.diagnostic(`notify: ${ms.toFixed(2)} ms per call (spawn to exit, daemon answering at once)`);
    assert.ok(ms < 200, `${ms} ms`);
  });
});
