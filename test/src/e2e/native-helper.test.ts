// lodge-helper against a real unprivileged LXC container made by the test (busybox rootfs,
// idmapped), and against a stopped container's rootfs: exec, file round trips, and escapes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import {
  attachArgs,
  attachedPid,
  exitStatus,
  FileError,
  fileDelete,
  fileGet,
  filePut,
  fileStat,
  signalAttached,
  type AttachOptions,
  type FileTarget,
} from '../../../packages/daemon/dist/sys/helper.js';
import { busyboxImage } from '../helpers/images.js';
import { run } from '../helpers/run.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const skip = process.getuid?.() !== 0 || spawnSync('lxc-start', ['--version']).status !== 0 ? 'needs root and LXC' : false;

interface Container {
  lxcpath: string;
  name: string;
  rootfs: string;
  pid: number;
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
async function startContainer(t: TestContext): Promise<Container> {
  const lxcpath = await makeRootfs(t);
  const name = 'c1';
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
  return { lxcpath, name, rootfs, pid };
}

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function execIn(c: Container, o: Partial<AttachOptions> & { command: string[] }, input = '', env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  const { file, args } = attachArgs({ lxcpath: c.lxcpath, name: c.name, env: { PATH }, ...o });
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitStatus(code, signal), stdout, stderr }));
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
    const { file: f2, args: a2 } = attachArgs({ lxcpath: c.lxcpath, name: c.name, env: { PATH }, command: ['sleep', '300'] });
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
      assert.ok(Date.now() - started < 2000, 'an operation hung');
      for (const r of results) {
        if (r.status === 'fulfilled') seen.add(r.value === undefined ? 'ok' : `read:${r.value.trim()}`);
        else seen.add((r.reason as FileError).code);
      }
    }
    swapper.kill('SIGKILL');
    tt.diagnostic(`outcomes: ${[...seen].join(', ')}`);
    assert.ok(!seen.has('read:HOST-SECRET'), [...seen].join(' '));
    assert.ok([...seen].every((s) => ['read:', 'read:inside', 'read:inside\nPWNED', 'read:data', 'ok', 'ENOENT', 'EINVAL', 'EAGAIN', 'EISDIR'].includes(s) || s.startsWith('read:inside')), [...seen].join(' '));
    assert.equal(await readFile(join(marker, 'secret'), 'utf8'), 'HOST-SECRET\n');
    assert.deepEqual(await readdir(marker), ['secret']);
  });

  await t.test('the helper refuses a pid that is not in a container', async () => {
    const e = await rejectsWith(fileGet({ pid: process.pid }, '/etc/hostname'), 'EPERM');
    assert.match(e.message, /shares the helper's mount namespace/);
    await rejectsWith(fileGet({ pid: 2 ** 31 - 2 }, '/etc/hostname'), 'ESRCH');
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
