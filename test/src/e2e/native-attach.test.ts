// lodge-helper attach against a real unprivileged LXC container made by the test (busybox rootfs,
// idmapped): exit codes, cgroups, ids, environment, stdin, signals, and the pty relay of --pty.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { test } from 'node:test';
import { attachArgs, attachedPid, type AttachOptions, exitStatus, signalAttached } from '../../../packages/daemon/dist/sys/helper-attach.js';
import { filePut } from '../../../packages/daemon/dist/sys/helper-files.js';
import { run } from '../helpers/run.js';
import { attachIn, type Container, execIn, PATH, skip, startContainer } from '../helpers/lxc-container.js';

test('lodge-helper in a running unprivileged container', { skip, timeout: 240_000 }, async (t) => {
  const c = await startContainer(t);

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
    const { file, args } = attachIn(c, { command: ['sleep', '300'] });
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
    const { file, args } = attachIn(c, { command: ['sh', '-c', 'trap "echo got-usr1" USR1; trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'] });
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
    const { file: f2, args: a2 } = attachIn(c, { command: ['sleep', '300'] });
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
    const { file, args } = attachIn(c, { command: ['sh', '-c', "trap 'echo INT' INT; trap 'echo WINCH $(stty size)' WINCH; echo ready; while :; do sleep 0.1; done"] });
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
  const { file, args } = attachIn(c, { env: { PATH, TERM: 'xterm' }, pty: size, controlFd: 3, ...o });
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
