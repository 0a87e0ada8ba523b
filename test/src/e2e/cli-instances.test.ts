// lodge with real containers: launch/list/info/stop/delete against lxc's output, exec (piped and on a pty), files,
// configuration through the ETag flow, devices, profiles, console, and lxc's errors and exit codes.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { lodgeBin } from '../helpers/paths.js';
import { onPty } from '../helpers/pty.js';
import { run } from '../helpers/run.js';

test('launch, list and info print what lxc prints; stop, start, pause, rename and delete', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const launched = await d.lodge(['launch', 'busybox', 'c1']);
  assert.equal(launched.stdout, 'Creating c1\nStarting c1\n');
  assert.match(launched.stderr, /doesn't have any network attached/);
  assert.equal((await d.lodge(['init', 'busybox', 'c2', '-c', 'user.note=hi', '-q'])).stdout, '');
  assert.equal((await d.lodge(['init', '--empty', 'e1', '-q'])).code, 0);
  const both = await d.lodge(['init', 'busybox', 'e2', '--empty'], { allowFail: true });
  assert.deepEqual([both.code, both.stderr], [1, 'Error: --empty cannot be combined with an image name\n']);

  for (const args of [[], ['-f', 'csv'], ['-f', 'json'], ['-f', 'yaml'], ['-f', 'compact'], ['-c', 'nsPbtlc'], ['--fast', '-f', 'csv'], ['c', 'status=stopped'], ['u.note=hi', '-c', 'n'], ['-c', 'ns,user.note:NOTE']]) {
    assert.equal((await d.lodge(['list', ...args])).stdout, (await d.lxc(['list', ...args])).stdout, `list ${args.join(' ')}`);
  }
  const csv = (await d.lodge(['list', '-f', 'csv', '-c', 'ns'])).stdout;
  assert.equal(csv, 'c1,RUNNING\nc2,STOPPED\ne1,STOPPED\n');
  // Memory, CPU and PID move between two runs: compare the stable parts of `info` and the shape of the rest.
  const info = (await d.lodge(['info', 'c1'])).stdout;
  assert.match(info, /^Name: c1\nStatus: RUNNING\nType: container\nArchitecture: \S+\nPID: \d+\nCreated: .+\nLast Used: .+\n\nResources:\n {2}Processes: \d+\n/);
  assert.equal((await d.lodge(['info', 'c2'])).stdout, (await d.lxc(['info', 'c2'])).stdout);
  assert.match((await d.lodge(['info', 'c1', '--show-log'])).stdout, /\nLog:\n\n/);

  await d.lodge(['stop', 'c1', '--force']);
  await d.lodge(['start', 'c1', 'c2']);
  assert.equal((await d.lodge(['list', '-f', 'csv', '-c', 'ns', 'c'])).stdout, 'c1,RUNNING\nc2,RUNNING\n');
  await d.lodge(['pause', 'c2']);
  assert.equal((await d.lodge(['list', '-f', 'csv', '-c', 's', 'c2'])).stdout, 'FROZEN\n');
  await d.lodge(['start', 'c2']);
  await d.lodge(['restart', 'c2', '--force']);
  await d.lodge(['stop', 'c2', '--timeout', '1', '--force']);

  const running = await d.lodge(['delete', 'c1'], { allowFail: true });
  assert.deepEqual([running.code, running.stderr], [1, 'Error: The instance is currently running, stop it first or pass --force\n']);
  await d.lodge(['rename', 'c2', 'c3']);
  await d.lodge(['move', 'c3', 'c4']);
  await d.lodge(['delete', 'c1', '--force']);
  await d.lodge(['rm', 'c4', 'e1']);
  assert.equal((await d.lodge(['list', '-f', 'csv'])).stdout, '');
  await d.lodge(['launch', 'busybox', 'eph', '-e', '-q']);
  assert.equal((await d.lodge(['list', '-f', 'csv', '-c', 'nt'])).stdout, 'eph,CONTAINER (EPHEMERAL)\n');
  await d.lodge(['delete', '-f', 'eph']);
  assert.deepEqual(await d.client.instances.names(), []);
});

test('list stays one request for hundreds of instances', async (t) => {
  const d = await startDaemon(t);
  for (let i = 0; i < 200; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => d.client.instances.create({ name: `n${i + j}`, source: { type: 'none' } }).then((op) => op.wait())));
  }
  const start = Date.now();
  const out = await d.lodge(['list', '-f', 'csv', '-c', 'ns4S', '--debug']);
  const elapsed = Date.now() - start;
  assert.equal(out.stdout.split('\n').filter(Boolean).length, 200);
  assert.match(out.stdout, /^n0,STOPPED,,0\nn1,STOPPED,,0\nn2,STOPPED,,0\nn3,/);
  assert.equal((out.stderr.match(/\/1\.0\/instances/g) ?? []).length, 1, out.stderr);
  assert.ok(elapsed < 15_000, `lodge list took ${elapsed} ms`);
});

test('exec: stdout and stderr apart, stdin piped, environment, user, cwd and the exit code', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  const r = await d.lodge(['exec', 'c1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { allowFail: true });
  assert.deepEqual([r.code, r.stdout, r.stderr], [7, 'out\n', 'err\n']);
  assert.equal((await d.lodge(['exec', 'c1', '--', 'wc', '-l'], { input: 'a\nb\nc\n' })).stdout.trim(), '3');
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  assert.equal((await d.lodge(['exec', 'c1', '--', 'wc', '-c'], { input: big })).stdout.trim(), String(big.length));
  const env = await d.lodge(['exec', 'c1', '--env', 'FOO=bar', '--user', '1000', '--group', '1000', '--cwd', '/tmp', '--', 'sh', '-c', 'echo $FOO; id -u; id -g; pwd']);
  assert.equal(env.stdout, 'bar\n1000\n1000\n/tmp\n');
  assert.equal((await d.lodge(['exec', 'c1', '-n', '--', 'cat'])).stdout, '');
  assert.equal((await d.lodge(['exec', 'c1', '--', 'no-such-command'], { allowFail: true })).code, 127);
  // Not interactive without a terminal: lxc and lodge send the same body, so the outputs match.
  const lx = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'tty; echo $TERM'], { allowFail: true });
  const lo = await d.lodge(['exec', 'c1', '--', 'sh', '-c', 'tty; echo $TERM'], { allowFail: true });
  assert.deepEqual([lo.code, lo.stdout], [lx.code, lx.stdout]);
  await d.lodge(['stop', 'c1', '--force']);
  const stopped = await d.lodge(['exec', 'c1', '--', 'true'], { allowFail: true });
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /^Error: .*not running/);
});

test('interactive exec on a pty: size, raw terminal, exit code, and the terminal restored afterwards', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  const script = `stty cols 100 rows 30; ${lodgeBin} exec c1 -- sh -c 'stty size; test -t 0 && echo pty; exit 3'; echo "rc=$?"; stty -a | grep -o -- '-*opost' | head -1`;
  const r = await onPty(script, d.env);
  assert.equal(r.stdout, '30 100\r\npty\r\nrc=3\r\nopost\r\n');
  // Output of the remote pty comes through unchanged (no extra \r as with libuv's raw mode), as with lxc.
  const lx = await onPty("stty cols 100 rows 30; lxc exec c1 -- sh -c 'stty size'", d.env);
  const lo = await onPty(`stty cols 100 rows 30; ${lodgeBin} exec c1 -- sh -c 'stty size'`, d.env);
  assert.equal(lo.stdout, lx.stdout);
  assert.equal(lo.stdout, '30 100\r\n');
  const forced = await d.lodge(['exec', 'c1', '-t', '--', 'sh', '-c', 'test -t 0 && echo pty; exit 4'], { allowFail: true });
  assert.deepEqual([forced.code, forced.stdout], [4, 'pty\r\n']);
});

async function tree(root: string): Promise<void> {
  await mkdir(join(root, 'src', 'sub', 'deeper'), { recursive: true });
  await writeFile(join(root, 'src', 'a.txt'), 'hello\n');
  await chmod(join(root, 'src', 'a.txt'), 0o640);
  await writeFile(join(root, 'src', 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
  await writeFile(join(root, 'src', 'sub', 'deeper', 'c.txt'), 'c\n');
  await symlink('a.txt', join(root, 'src', 'link'));
}

test('files: push and pull round trips with -r and -p, modes and owners, stdin and stdout, delete', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  const dir = await mkdtemp(join(tmpdir(), 'lodge-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await tree(dir);
  const src = join(dir, 'src');

  await d.lodge(['file', 'push', join(src, 'a.txt'), 'c1/root/']);
  assert.equal((await d.lodge(['exec', 'c1', '--', 'stat', '-c', '%a %u %g %s', '/root/a.txt'])).stdout, '640 0 0 6\n');
  await d.lodge(['file', 'push', join(src, 'a.txt'), 'c1/root/b.txt', '--mode', '600', '--uid', '1000', '--gid', '1000']);
  assert.equal((await d.lodge(['exec', 'c1', '--', 'stat', '-c', '%a %u %g', '/root/b.txt'])).stdout, '600 1000 1000\n');

  await d.lodge(['file', 'push', '-r', src, 'c1/root/']);
  await d.lodge(['file', 'push', '-r', '-p', src, 'c1/opt/x/y']);
  const listing = await d.lodge(['exec', 'c1', '--', 'sh', '-c', 'cd /opt/x/y && find . | sort; readlink src/link; stat -c %a src/a.txt']);
  assert.equal(listing.stdout, '.\n./src\n./src/a.txt\n./src/link\n./src/sub\n./src/sub/b.bin\n./src/sub/deeper\n./src/sub/deeper/c.txt\na.txt\n640\n');

  const out = join(dir, 'out');
  await d.lodge(['file', 'pull', '-r', 'c1/root/src', out]);
  assert.equal(await readFile(join(out, 'src', 'a.txt'), 'utf8'), 'hello\n');
  assert.deepEqual(await readFile(join(out, 'src', 'sub', 'b.bin')), Buffer.from([0, 1, 2, 255]));
  assert.equal(await readFile(join(out, 'src', 'sub', 'deeper', 'c.txt'), 'utf8'), 'c\n');
  assert.equal((await stat(join(out, 'src', 'a.txt'))).mode & 0o777, 0o640);
  assert.equal(await readlink(join(out, 'src', 'link')), '/root/src/a.txt');

  const nested = join(dir, 'new', 'dir', 'f.txt');
  await d.lodge(['file', 'pull', '-p', 'c1/root/src/a.txt', nested]);
  assert.equal(await readFile(nested, 'utf8'), 'hello\n');
  assert.equal((await d.lodge(['file', 'pull', 'c1/root/src/link', '-'])).stdout, 'hello\n');
  await d.lodge(['file', 'push', '-', 'c1/root/from-stdin'], { input: 'piped\n' });
  assert.equal((await d.lodge(['file', 'pull', 'c1/root/from-stdin', '-'])).stdout, 'piped\n');
  await d.lodge(['file', 'edit', 'c1/root/from-stdin'], { input: 'edited\n' });
  assert.equal((await d.lodge(['exec', 'c1', '--', 'cat', '/root/from-stdin'])).stdout, 'edited\n');
  await d.lodge(['file', 'pull', 'c1/etc/hostname', 'c1/root/a.txt', join(dir, 'multi') + '/']);
  assert.equal(await readFile(join(dir, 'multi', 'a.txt'), 'utf8'), 'hello\n');

  // The same bytes as lxc's pull of the same tree.
  const lxcOut = join(dir, 'lxc-out');
  await d.lxc(['file', 'pull', '-r', 'c1/root/src', lxcOut]);
  assert.deepEqual(await readFile(join(lxcOut, 'src', 'sub', 'b.bin')), await readFile(join(out, 'src', 'sub', 'b.bin')));

  await d.lodge(['file', 'delete', 'c1/root/from-stdin', 'c1/root/b.txt']);
  const gone = await d.lodge(['file', 'pull', 'c1/root/from-stdin', '-'], { allowFail: true });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /^Error: /);
  const cases: [string[], RegExp][] = [
    [['file', 'pull', 'c1/root/src', join(dir, 'x')], /^Error: Can't pull a directory without --recursive\n$/],
    [['file', 'push', join(dir, 'nope'), 'c1/root/'], /^Error: open .*nope: no such file or directory\n$/],
    [['file', 'push', join(src, 'a.txt'), 'c1'], /^Error: Invalid target c1\n$/],
    [['file', 'push', '-r', '--mode', '600', src, 'c1/root/'], /^Error: Can't supply uid\/gid\/mode in recursive mode\n$/],
    [['file', 'push', join(src, 'a.txt'), join(src, 'link'), 'c1/root/x'], /^Error: Missing target directory\n$/],
  ];
  for (const [args, re] of cases) {
    const res = await d.lodge(args, { allowFail: true });
    assert.equal(res.code, 1, args.join(' '));
    assert.match(res.stderr, re, args.join(' '));
  }
});

test('config: set a limit and read it back (ETag flow), show as lxc, unset, devices, profiles', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  await d.lodge(['config', 'set', 'c1', 'limits.memory=256MB', 'user.a=1']);
  assert.equal((await d.lodge(['config', 'get', 'c1', 'limits.memory'])).stdout, '256MB\n');
  assert.equal((await d.lxc(['config', 'get', 'c1', 'limits.memory'])).stdout, '256MB\n');
  await d.lodge(['config', 'set', 'c1', 'user.b', 'legacy form']);
  assert.equal((await d.lodge(['config', 'get', 'c1', 'user.b'])).stdout, 'legacy form\n');
  assert.equal((await d.lodge(['config', 'get', 'c1', 'image.os', '-e'])).stdout, (await d.lxc(['config', 'get', 'c1', 'image.os', '-e'])).stdout);
  for (const args of [['c1'], ['c1', '-e']]) assert.equal((await d.lodge(['config', 'show', ...args])).stdout, (await d.lxc(['config', 'show', ...args])).stdout);
  await d.lodge(['config', 'unset', 'c1', 'user.a']);
  const unset = await d.lodge(['config', 'unset', 'c1', 'user.a'], { allowFail: true });
  assert.deepEqual([unset.code, unset.stderr], [1, "Error: Can't unset key 'user.a', it's not currently set\n"]);
  // The server forms keep working.
  await d.lodge(['config', 'set', 'images.auto_update_interval=7']);
  assert.equal((await d.lodge(['config', 'get', 'images.auto_update_interval'])).stdout, '7\n');

  // Whole-object edit from stdin, as lxc does it (no If-Match).
  const shown = (await d.lodge(['config', 'show', 'c1'])).stdout;
  await d.lodge(['config', 'edit', 'c1'], { input: shown.replace('description: ""', 'description: edited') });
  assert.equal((await d.client.instances.get('c1')).instance.description, 'edited');

  await d.lodge(['stop', 'c1', '--force']);
  assert.equal((await d.lodge(['config', 'device', 'add', 'c1', 'data', 'disk', 'source=/tmp', 'path=/mnt'])).stdout, 'Device data added to c1\n');
  assert.equal((await d.lodge(['config', 'device', 'get', 'c1', 'data', 'path'])).stdout, '/mnt\n');
  await d.lodge(['config', 'device', 'set', 'c1', 'data', 'readonly=true']);
  assert.equal((await d.lodge(['config', 'device', 'show', 'c1'])).stdout, (await d.lxc(['config', 'device', 'show', 'c1'])).stdout);
  assert.equal((await d.lodge(['config', 'device', 'list', 'c1'])).stdout, 'data\n');
  assert.equal((await d.lodge(['config', 'device', 'override', 'c1', 'root'])).stdout, 'Device root overridden for c1\n');
  assert.deepEqual((await d.client.instances.get('c1')).instance.devices.root, { path: '/', pool: 'default', type: 'disk' });
  assert.equal((await d.lodge(['config', 'device', 'remove', 'c1', 'data', 'root'])).stdout, 'Device data, root removed from c1\n');
  const inherited = await d.lodge(['config', 'device', 'remove', 'c1', 'root'], { allowFail: true });
  assert.equal(inherited.stderr, 'Error: Device from profile(s) cannot be removed from individual instance. Override device or modify profile instead\n');

  await d.lodge(['profile', 'create', 'extra']);
  assert.equal((await d.lodge(['profile', 'add', 'c1', 'extra'])).stdout, 'Profile extra added to c1\n');
  assert.deepEqual((await d.client.instances.get('c1')).instance.profiles, ['default', 'extra']);
  assert.equal((await d.lodge(['profile', 'remove', 'c1', 'extra'])).stdout, 'Profile extra removed from c1\n');
  const notApplied = await d.lodge(['profile', 'remove', 'c1', 'extra'], { allowFail: true });
  assert.equal(notApplied.stderr, "Error: Profile extra isn't currently applied to c1\n");
  assert.equal((await d.lodge(['profile', 'assign', 'c1', 'default,extra'])).stdout, 'Profiles default,extra applied to c1\n');
  assert.deepEqual((await d.client.instances.get('c1')).instance.profiles, ['default', 'extra']);
});

test('console: the log, and an attached session detached with ctrl-a q', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['launch', 'busybox', 'c1', '-q']);
  assert.equal((await d.lodge(['console', 'c1', '--show-log'])).stdout, (await d.lxc(['console', 'c1', '--show-log'])).stdout);
  const noTty = await d.lodge(['console', 'c1'], { allowFail: true });
  assert.deepEqual([noTty.code, noTty.stderr], [1, 'Error: inappropriate ioctl for device\n']);
  // Keystrokes reach the console one read at a time, like a person typing ctrl-a then q.
  const keys = "sleep 2; printf '\\001'; sleep 0.5; printf q; sleep 2";
  const session = await run('sh', ['-c', `(${keys}) | script -eqc '${lodgeBin} console c1' /dev/null`], { env: d.env, allowFail: true, timeoutMs: 30_000 });
  assert.equal(session.code, 0, session.stderr);
  assert.match(session.stdout, /^To detach from the console, press: <ctrl>\+a q\n\r/);
});

test('errors are lxc errors: Error: on stderr and exit 1', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lodge(['init', 'busybox', 'c1', '-q']);
  const cases: [string[], RegExp][] = [
    [['launch', 'nope', 'x'], /^Creating x\nError: .*not found/is],
    [['info', 'nope'], /^Error: Instance not found\n$/],
    [['start', 'nope'], /^Error: Instance not found\n$/],
    [['stop', 'nope'], /^Error: Instance not found\n$/],
    [['delete', 'nope'], /^Error: Failed checking instance exists "local:nope": Instance not found\n$/],
    [['list', '-c', 'nz'], /^Error: Unknown column shorthand char 'z' in 'nz'\n$/],
    [['list', '-c', 'nL'], /^Error: Can't specify column L when not clustered\n$/],
    [['exec', 'c1', '-t', '-T', '--', 'true'], /^Error: You can't pass -t and -T at the same time\n$/],
    [['init', 'busybox', 'c9', '-d', 'root'], /Error: Bad device override syntax, expecting <device>,<key>=<value>: root\n$/],
    [['init', 'busybox', 'c9', '--target', 'member1'], /Error: To use --target, the destination remote must be a cluster\n$/],
    [['config', 'device', 'get', 'c1', 'root', 'pool'], /^Error: Device from profile\(s\) cannot be retrieved for individual instance\n$/],
    [['rename', 'c1', 'other:c2'], /^Error: The remote "other" doesn't exist\n$/],
    // lxc adds its show-log hint unless the failure was already known when it attached to the operation (a race).
    [['stop', 'c1'], /^Error: The instance is already stopped\n(Try `lodge info --show-log c1` for more info\n)?$/],
    [['exec', 'c1', 'ls', '-la'], /^Error: unknown shorthand flag: 'l' in -la\n$/],
    [['delete', '-i', 'c1'], /^Remove c1 \(yes\/no\): Error: User aborted delete operation\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await d.lodge(args, { allowFail: true, input: args.includes('-i') ? 'no\n' : '' });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, re, args.join(' '));
  }
  assert.equal((await d.lodge(['delete', '-i', 'c1'], { input: 'yes\n' })).code, 0);
  assert.deepEqual(await d.client.instances.names(), []);
});
