// Exec end to end with the real lxc client and the client library: exit codes, stdin, env, user/cwd,
// interactive sessions on the container's own pty, record-output.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Operation } from '@lodge/api';
import { execInstance, type ControlChannel } from '@lodge/client';
import { attachedPid } from '../../../packages/daemon/dist/sys/helper-attach.js';
import { startDaemon } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { waitFor } from '../helpers/wait.js';

test('exit codes, stdout/stderr apart, stdin, environment, user and cwd', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const r = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { allowFail: true });
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'wc', '-l'], { input: 'a\nb\nc\n' })).stdout.trim(), '3');
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  assert.equal((await d.lxc(['exec', 'c1', '--', 'wc', '-c'], { input: big })).stdout.trim(), String(big.length));
  const env = await d.lxc(['exec', 'c1', '--env', 'FOO=bar', '--', 'sh', '-c', 'echo $FOO $HOME $USER; pwd']);
  assert.equal(env.stdout, 'bar /root root\n/root\n');
  const host = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo ${LODGE_DIR:-clean}']);
  assert.equal(host.stdout.trim(), 'clean');
  const user = await d.lxc(['exec', 'c1', '--user', '1000', '--group', '1000', '--cwd', '/tmp', '--', 'sh', '-c', 'id -u; id -g; pwd']);
  assert.equal(user.stdout, '1000\n1000\n/tmp\n');
  const missing = await d.lxc(['exec', 'c1', '--', 'no-such-command'], { allowFail: true });
  assert.equal(missing.code, 127);
  // The helper refuses before the go: what it says reaches stderr all the same.
  const unmapped = await d.lxc(['exec', 'c1', '--user', '4294967000', '--', 'true'], { allowFail: true });
  assert.equal(unmapped.code, 125);
  assert.match(unmapped.stderr, /uid 4294967000 is not mapped in container default_c1/);
  await d.lxc(['config', 'set', 'c1', 'environment.GREETING', 'hello']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo $GREETING'])).stdout.trim(), 'hello');
});

/** A command under `script` (a terminal for lxc, so lxc asks for an interactive session), with stdin open. */
function onTerminal(command: string, env: NodeJS.ProcessEnv): { child: ChildProcessWithoutNullStreams; text: () => string; waitFor: (what: string | RegExp) => Promise<void>; done: Promise<number> } {
  const child = spawn('script', ['-eqc', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stdin.on('error', () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    }),
  );
  const waitFor = async (what: string | RegExp): Promise<void> => {
    for (let i = 0; !(typeof what === 'string' ? out.includes(what) : what.test(out)); i++) {
      if (i > 1500) assert.fail(`no ${String(what)} in ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, text: () => out, waitFor, done };
}

test('interactive exec with lxc: the container pty is the tty, its size follows resizes, exit codes pass, ^C interrupts', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  // The terminal is one of the container's devpts (LXD's), not a host pty without a name inside.
  const r = await run('script', ['-eqc', "stty cols 100 rows 30; lxc exec c1 -- sh -c 'tty; stty size; exit 3'", '/dev/null'], { env: d.env, allowFail: true, input: '' });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /(^|\^@)\/dev\/pts\/\d+\r\n30 100\r\n/); // ^@: script's end of input, echoed
  const owner = await run('script', ['-eqc', "lxc exec c1 --user 1000 --group 1000 -- sh -c 'stat -c \"%u %g %a\" $(tty)'", '/dev/null'], { env: d.env, input: '' });
  const [, uid, gid, mode] = /(\d+) (\d+) (\d+)\r\n/.exec(owner.stdout) ?? [];
  assert.deepEqual([uid, gid], ['1000', '1000'], owner.stdout);
  assert.equal(parseInt(mode!, 8) & 0o077, 0, owner.stdout);

  // lxc sends window-resize when its terminal changes size; the command gets SIGWINCH.
  const s = onTerminal("stty cols 80 rows 24; lxc exec c1 -- sh -c 'trap \"echo size \\$(stty size)\" WINCH; stty size; echo ready; while :; do sleep 0.1; done'", d.env);
  await s.waitFor('ready');
  assert.match(s.text(), /24 80\r\nready/);
  const shell = Number((await readFile(`/proc/${s.child.pid}/task/${s.child.pid}/children`, 'utf8')).trim().split(/\s+/)[0]);
  await run('stty', ['-F', `/proc/${shell}/fd/0`, 'rows', '40', 'cols', '100']);
  await s.waitFor('size 40 100');
  s.child.stdin.write('\x03'); // lxc's terminal is raw: ^C goes through as a byte, the container's pty makes it SIGINT
  assert.equal(await s.done, 130);

  const sleeper = onTerminal("lxc exec c1 -- sh -c 'echo ready; exec sleep 100'", d.env);
  await sleeper.waitFor('ready');
  const started = Date.now();
  sleeper.child.stdin.write('\x03');
  assert.equal(await sleeper.done, 130);
  assert.ok(Date.now() - started < 10_000);
});

test('interactive exec through the API: binary output and input untouched, end of input, signals, resize', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const blob = randomBytes(512 * 1024);
  const dir = await mkdtemp(join(tmpdir(), 'lodge-exec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'blob'), blob);
  await d.lxc(['file', 'push', join(dir, 'blob'), 'c1/tmp/blob']);

  const session = async (command: string[], drive: (stdin: PassThrough, out: () => Buffer, ctl: () => ControlChannel) => Promise<void>, size = { width: 80, height: 24 }): Promise<{ code: number; out: Buffer }> => {
    const stdin = new PassThrough();
    const chunks: Buffer[] = [];
    let control: ControlChannel | undefined;
    const res = execInstance(d.client, 'c1', { command, interactive: true, environment: { TERM: 'xterm' }, ...size }, {
      stdin,
      stdout: { write: (b: Buffer) => chunks.push(b) },
      control: (c) => void (control = c),
    });
    await drive(stdin, () => Buffer.concat(chunks), () => control!);
    const { exitCode } = await res;
    return { code: exitCode, out: Buffer.concat(chunks) };
  };
  const until = async (out: () => Buffer, what: string): Promise<void> => {
    for (let i = 0; !out().toString('latin1').includes(what); i++) {
      if (i > 1500) assert.fail(`no ${what} in ${JSON.stringify(out().toString('latin1'))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  // Raw mode on the container's pty: the file comes out byte for byte.
  const raw = await session(['sh', '-c', 'stty raw; cat /tmp/blob'], async () => undefined);
  assert.equal(raw.code, 0);
  assert.ok(raw.out.equals(blob), `got ${raw.out.length} bytes`);

  // And every byte value goes in unchanged.
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const input = await session(['sh', '-c', 'stty raw -echo; echo ready; head -c 256 | od -An -tx1 -v | tr -d " \\n"'], async (stdin, out) => {
    await until(out, 'ready');
    stdin.write(bytes);
  });
  assert.equal(input.code, 0);
  assert.equal(input.out.toString('latin1'), `ready\n${bytes.toString('hex')}`);

  // The end of input (the text barrier) leaves the command and its terminal; ^D is data for it.
  const ended = await session(['sh', '-c', 'sleep 1; echo still here; test -t 0 && echo tty'], async (stdin) => void stdin.end());
  assert.deepEqual([ended.code, ended.out.toString()], [0, 'still here\r\ntty\r\n']);
  const eof = await session(['sh', '-c', 'cat >/dev/null; echo eof'], async (stdin) => void stdin.write('abc\n\x04'));
  assert.equal(eof.code, 0);
  assert.match(eof.out.toString(), /eof\r\n$/);

  // The default size is LXD's 80x25; window-resize changes it; a signal goes to the command.
  const sized = await session(
    ['sh', '-c', 'trap "echo size \\$(stty size)" WINCH; trap "echo term; exit 42" TERM; stty size; echo ready; while :; do sleep 0.1; done'],
    async (_stdin, out, ctl) => {
      await until(out, 'ready');
      ctl().resize(132, 50);
      await until(out, 'size 50 132');
      ctl().signal(15);
    },
    { width: 0, height: 0 },
  );
  assert.equal(sized.code, 42);
  assert.match(sized.out.toString(), /^25 80\r\nready\r\nsize 50 132\r\nterm\r\n$/);
});

test('record-output keeps stdout and stderr in log files; a stopped instance refuses exec', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const res = await d.client.query<Operation>('POST', '/1.0/instances/c1/exec', { command: ['sh', '-c', 'echo rec; echo err >&2; exit 5'], 'wait-for-websocket': false, 'record-output': true });
  const op = await (await d.client.track(res.metadata)).wait();
  const md = op.metadata as { return: number; output: Record<string, string> };
  assert.equal(md.return, 5);
  const out = await d.client.raw('GET', md.output['1']!);
  const chunks: Buffer[] = [];
  for await (const c of out) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'rec\n');
  const logs = await d.client.get<string[]>('/1.0/instances/c1/logs');
  assert.ok(logs.some((l) => l.endsWith('.stderr')));
  await d.lxc(['stop', 'c1', '--force']);
  const refused = await d.lxc(['exec', 'c1', '--', 'true'], { allowFail: true });
  assert.match(refused.stderr, /not running/);
});

test('an exec whose websockets never connect fails without running its command (the helper waits, loaded, for the go)', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const res = await d.client.query<Operation>('POST', '/1.0/instances/c1/exec', { command: ['touch', '/root/ran'], 'wait-for-websocket': true, interactive: false });
  const op = await (await d.client.track(res.metadata)).wait().catch((e: Error) => e);
  assert.match(String(op), /Timed out waiting for websockets/);
  const ran = await d.lxc(['exec', 'c1', '--', 'test', '-e', '/root/ran'], { allowFail: true });
  assert.equal(ran.code, 1, 'the command did not run');
  assert.deepEqual(await helpersFor('default_c1'), [], 'no helper left waiting');
});

test('the command joins the container’s cgroups in every hierarchy, the helper stays out; a container stopped during an exec starts again', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  // Inside: the root of the container's cgroup namespace in each v1 hierarchy, liblxc's leaf for attached processes in the unified one.
  const inside = (await d.lxc(['exec', 'c1', '--', 'cat', '/proc/self/cgroup'])).stdout.trim().split('\n');
  assert.ok(inside.length > 1);
  for (const line of inside) assert.match(line, /^0::\/\.lxc$|^\d+:[^:]+:\/$/);
  const init = (await d.client.instances.state('c1')).pid;
  const cgroupOf = async (pid: number): Promise<string[]> => (await readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n').map((l) => l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1));
  const payload = (await cgroupOf(init)).find((p) => p.includes('.payload.default_c1'));
  assert.ok(payload, 'the container has a payload cgroup');

  const sleeper = d.lxc(['exec', 'c1', '--', 'sleep', '300'], { allowFail: true });
  const [helper] = await waitFor('the exec helper', async () => {
    const found = await helpersFor('default_c1');
    return found.length === 1 && attachedPid(found[0]!.pid) !== undefined ? found : undefined;
  });
  const command = attachedPid(helper!.pid)!;
  const mine = await cgroupOf(command);
  assert.equal(mine.length, inside.length);
  for (const p of mine) assert.ok(p === payload || p === `${payload}/.lxc`, `the command is in ${p}`);
  for (const p of await cgroupOf(helper!.pid)) assert.ok(!p.includes('.payload.'), `the helper is in ${p}`);

  // The helper's middle process may still hold the unified leaf as LXC removes the container's cgroups, which
  // would leave it behind: the next start removes such empty leftovers (LXC refuses to start while they exist).
  await d.lxc(['stop', '--force', 'c1']);
  assert.notEqual((await sleeper).code, 0);
  const unified = '/sys/fs/cgroup/unified';
  if (await stat(unified).then(() => true, () => false)) await mkdir(join(unified, payload, '.lxc'), { recursive: true });
  await d.lxc(['start', 'c1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'echo', 'again'])).stdout, 'again\n');
  assert.deepEqual(await helpersFor('default_c1'), []);

  // A container that stops from within an exec (its init dies with the command's poweroff) leaves no cgroup:
  // the helper's middle process is gone before the command's pid is released, so before LXC removes them.
  for (const interactive of [false, true]) {
    await d.lxc(['exec', 'c1', ...(interactive ? ['--force-interactive'] : []), '--', 'poweroff', '-f'], { allowFail: true });
    await waitFor('the container to stop', async () => ((await d.client.instances.state('c1')).status === 'Stopped' ? true : undefined));
    const left = async (): Promise<string[]> => {
      const found: string[] = [];
      for (const h of await readdir('/sys/fs/cgroup')) if (await stat(join('/sys/fs/cgroup', h, payload)).then(() => true, () => false)) found.push(h);
      return found;
    };
    await waitFor('LXC to remove the container’s cgroups', async () => ((await left()).length === 0 ? true : undefined), 10_000).catch(async () => assert.deepEqual(await left(), [], 'cgroups left behind'));
    await d.lxc(['start', 'c1']);
  }

  // Whatever empty cgroups LXC left of a container go with it.
  await d.lxc(['stop', '--force', 'c1']);
  const leftovers = [join('/sys/fs/cgroup/pids', payload.replace('.payload.', '.monitor.')), join('/sys/fs/cgroup/pids', payload, 'inner')];
  for (const dir of leftovers) await mkdir(dir, { recursive: true });
  await d.lxc(['delete', 'c1']);
  for (const dir of leftovers) await assert.rejects(stat(dir), /ENOENT/, `${dir} removed`);
});

/** lodge-helper attach processes for one container (read from /proc: no procps needed). */
async function helpersFor(lxcName: string): Promise<{ pid: number; argv: string[] }[]> {
  const out: { pid: number; argv: string[] }[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    // The helper's own child (a fork, same command line) is not a helper of its own.
    const parent = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ')[1];
    const parentArgv = parent ? (await readFile(`/proc/${parent}/cmdline`, 'utf8').catch(() => '')).split('\0') : [];
    if (parentArgv[0]?.endsWith('lodge-helper')) continue;
    if (argv[0]?.endsWith('lodge-helper') && argv[1] === 'attach' && argv.includes(lxcName)) out.push({ pid: Number(pid), argv });
  }
  return out;
}
