// Pure logic of the lodge-helper wrapper: argv building, exit statuses, error and header parsing.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import {
  attachArgs,
  cgroupSetArgs,
  deviceRule,
  exitStatus,
  FileError,
  fileArgs,
  helperPath,
  mountArgs,
  netInfo,
  netinfoArgs,
  notifyArgs,
  notifyHookCommand,
  parseFileError,
  parseFileHeader,
  parseNetinfo,
  parseShiftResult,
  resizeLine,
  shiftArgs,
  shiftTree,
  signalAttached,
  umountArgs,
  umountFrom,
} from './helper.js';
import { RunError, type Runner } from './runner.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

test('helperPath: LODGE_HELPER wins, else native/build beside the compiled daemon', () => {
  assert.equal(helperPath(env), '/opt/lodge-helper');
  assert.match(helperPath({}), /\/packages\/daemon\/native\/build\/lodge-helper$/);
});

test('attachArgs: ids, cwd, environment, then the command after --', () => {
  const { file, args } = attachArgs(
    { lxcpath: '/var/lib/lodge/containers', name: 'c1', cgroup: 'lodge-x.payload.c1', uid: 1000, gid: 1001, cwd: '/srv', env: { PATH: '/bin', A: 'b=c' }, command: ['sh', '-c', 'echo --uid'] },
    env,
  );
  assert.equal(file, '/opt/lodge-helper');
  assert.deepEqual(args, [
    'attach', '--lxcpath', '/var/lib/lodge/containers', '--name', 'c1', '--cgroup', 'lodge-x.payload.c1', '--uid', '1000', '--gid', '1001', '--cwd', '/srv',
    '--env', 'PATH=/bin', '--env', 'A=b=c', '--', 'sh', '-c', 'echo --uid',
  ]);
});

test('attachArgs: cwd defaults to HOME like LXD; no cwd without either', () => {
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', cgroup: 'g', env: { HOME: '/root' }, command: ['true'] }, env).args, [
    'attach', '--lxcpath', '/p', '--name', 'c', '--cgroup', 'g', '--cwd', '/root', '--env', 'HOME=/root', '--', 'true',
  ]);
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', cgroup: 'g', command: ['true'] }, env).args, ['attach', '--lxcpath', '/p', '--name', 'c', '--cgroup', 'g', '--', 'true']);
});

test('attachArgs: --pty ROWSxCOLS and --control-fd before the command; resizeLine for that descriptor', () => {
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', cgroup: 'g', pty: { rows: 24, cols: 80 }, controlFd: 3, command: ['sh'] }, env).args, [
    'attach', '--lxcpath', '/p', '--name', 'c', '--cgroup', 'g', '--pty', '24x80', '--control-fd', '3', '--', 'sh',
  ]);
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', cgroup: 'g', pty: { rows: 0, cols: 65535 }, command: ['sh'] }, env).args, [
    'attach', '--lxcpath', '/p', '--name', 'c', '--cgroup', 'g', '--pty', '0x65535', '--', 'sh',
  ]);
  assert.equal(resizeLine(40, 100), 'resize 40 100\n');
  assert.throws(() => resizeLine(-1, 80), /invalid rows/);
  assert.throws(() => resizeLine(24, 65536), /invalid cols/);
  assert.throws(() => resizeLine(24.5, 80), /invalid rows/);
});

test('attachArgs: refuses what the helper could misread', () => {
  const base = { lxcpath: '/p', name: 'c', cgroup: 'g', command: ['true'] };
  assert.throws(() => attachArgs({ ...base, command: [] }, env), /empty command/);
  assert.throws(() => attachArgs({ ...base, uid: -1 }, env), /invalid uid/);
  assert.throws(() => attachArgs({ ...base, gid: 1.5 }, env), /invalid gid/);
  assert.throws(() => attachArgs({ ...base, uid: 0xffffffff }, env), /invalid uid/);
  assert.throws(() => attachArgs({ ...base, env: { 'A=B': 'x' } }, env), /invalid environment variable/);
  assert.throws(() => attachArgs({ ...base, env: { '': 'x' } }, env), /invalid environment variable/);
  assert.throws(() => attachArgs({ ...base, command: ['echo', 'a\0b'] }, env), /NUL/);
  assert.throws(() => attachArgs({ ...base, pty: { rows: 24, cols: 1e6 } }, env), /invalid cols/);
  assert.throws(() => attachArgs({ ...base, controlFd: 3 }, env), /controlFd needs pty/);
  assert.deepEqual(attachArgs({ ...base, waitFd: 3 }, env).args.slice(-4), ['--wait-fd', '3', '--', ...base.command]);
  assert.throws(() => attachArgs({ ...base, waitFd: 3, pty: { rows: 24, cols: 80 } }, env), /waitFd is for commands without pty/);
  assert.throws(() => attachArgs({ ...base, waitFd: 1 }, env), /invalid waitFd/);
  assert.throws(() => attachArgs({ ...base, pty: { rows: 24, cols: 80 }, controlFd: 2 }, env), /invalid controlFd/);
});

test('exitStatus: the exit code, or 128+signal, as LXD returns it', () => {
  assert.equal(exitStatus(0, null), 0);
  assert.equal(exitStatus(42, null), 42);
  assert.equal(exitStatus(null, 'SIGKILL'), 137);
  assert.equal(exitStatus(null, 'SIGTERM'), 143);
  assert.equal(exitStatus(null, null), -1);
});

test('signalAttached: signals go to the helper, which forwards them (SIGKILL included)', () => {
  const sent: Array<[number, number]> = [];
  signalAttached(4242, constants.signals.SIGTERM, (p, s) => sent.push([p, s]));
  signalAttached(4242, constants.signals.SIGKILL, (p, s) => sent.push([p, s]));
  // SIGSTOP would go to the helper's child; pid 1's children are not a helper's, but the rule holds:
  // nothing is sent to the helper itself.
  signalAttached(999_999_999, constants.signals.SIGSTOP, (p, s) => sent.push([p, s]));
  assert.deepEqual(sent, [
    [4242, constants.signals.SIGTERM],
    [4242, constants.signals.SIGKILL],
  ]);
});

test('fileArgs: target, op and path, then put options with an octal mode', () => {
  assert.deepEqual(fileArgs({ pid: 1234 }, 'get', '/etc/hostname'), ['file', '--pid', '1234', 'get', '/etc/hostname']);
  assert.deepEqual(fileArgs({ root: '/var/lib/lodge/c1/rootfs' }, 'delete', '/x'), ['file', '--root', '/var/lib/lodge/c1/rootfs', 'delete', '/x']);
  assert.deepEqual(fileArgs({ pid: 2 }, 'put', '/f', { uid: 1000, gid: 0, mode: 0o640, append: true }), [
    'file', '--pid', '2', 'put', '/f', '--type', 'file', '--uid', '1000', '--gid', '0', '--mode', '0640', '--append',
  ]);
  assert.deepEqual(fileArgs({ pid: 2 }, 'put', '/d', { type: 'directory', mode: 0 }), ['file', '--pid', '2', 'put', '/d', '--type', 'directory', '--mode', '00']);
  assert.deepEqual(fileArgs({ pid: 2 }, 'put', '/s', { type: 'symlink', mode: 0o4755 }).slice(-2), ['--mode', '04755']);
});

test('fileArgs: refuses bad pids, paths, modes and append on non-files', () => {
  assert.throws(() => fileArgs({ pid: 1 }, 'get', '/x'), /invalid pid/);
  assert.throws(() => fileArgs({ pid: 0 }, 'get', '/x'), /invalid pid/);
  assert.throws(() => fileArgs({ pid: 5 }, 'get', ''), /empty path/);
  assert.throws(() => fileArgs({ pid: 5 }, 'get', '/a\0b'), /NUL/);
  assert.throws(() => fileArgs({ pid: 5 }, 'put', '/x', { mode: 0o10000 }), /invalid mode/);
  assert.throws(() => fileArgs({ pid: 5 }, 'put', '/x', { type: 'directory', append: true }), /append/);
});

test('parseFileError: the JSON line gives message, errno, code and HTTP status', () => {
  const e = parseFileError('{"error":"lstat /nope: No such file or directory","errno":2}\n', 1);
  assert.ok(e instanceof FileError);
  assert.equal(e.message, 'lstat /nope: No such file or directory');
  assert.equal(e.errno, constants.errno.ENOENT);
  assert.equal(e.code, 'ENOENT');
  assert.equal(e.status, 404);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EACCES}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EPERM}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EROFS}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EINVAL}}`, 1).status, 400);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EEXIST}}`, 1).status, 500);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.ENOTEMPTY}}`, 1).code, 'ENOTEMPTY');
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EAGAIN}}`, 1).code, 'EAGAIN');
});

test('parseFileError: anything else still becomes a FileError (500) with the text', () => {
  const e = parseFileError('Segmentation fault\n', null, 'SIGSEGV');
  assert.equal(e.errno, 0);
  assert.equal(e.status, 500);
  assert.match(e.message, /killed by SIGSEGV\): Segmentation fault/);
  assert.match(parseFileError('', 3).message, /exit 3/);
  assert.equal(parseFileError('noise\n{"error":"last wins","errno":2}\n', 1).message, 'last wins');
});

test('parseFileHeader: accepts the three types, refuses anything malformed', () => {
  const h = parseFileHeader('{"type":"directory","uid":0,"gid":0,"mode":493,"size":4096,"mtime":1,"entries":["a","b"]}');
  assert.deepEqual(h.entries, ['a', 'b']);
  assert.equal(parseFileHeader('{"type":"symlink","uid":0,"gid":0,"mode":511,"size":2,"mtime":1,"target":"/root/f1"}').target, '/root/f1');
  assert.throws(() => parseFileHeader('{"type":"fifo","uid":0,"gid":0,"mode":420,"size":0,"mtime":1}'), FileError);
  assert.throws(() => parseFileHeader('{"type":"file","uid":"0","gid":0,"mode":420,"size":0,"mtime":1}'), FileError);
  assert.throws(() => parseFileHeader('{"type":"directory","uid":0,"gid":0,"mode":420,"size":0,"mtime":1,"entries":[1]}'), FileError);
  assert.throws(() => parseFileHeader('not json'));
});

test('fileArgs: a range only for get, offset left out when 0', () => {
  assert.deepEqual(fileArgs({ pid: 9 }, 'get', '/f', {}, { offset: 100, length: 10 }), ['file', '--pid', '9', 'get', '/f', '--offset', '100', '--length', '10']);
  assert.deepEqual(fileArgs({ pid: 9 }, 'get', '/f', {}, { offset: 0 }), ['file', '--pid', '9', 'get', '/f']);
  assert.deepEqual(fileArgs({ pid: 9 }, 'get', '/f', {}, { offset: 0, length: 0 }), ['file', '--pid', '9', 'get', '/f', '--length', '0']);
  assert.throws(() => fileArgs({ pid: 9 }, 'stat', '/f', {}, { offset: 1 }), /only for get/);
  assert.throws(() => fileArgs({ pid: 9 }, 'get', '/f', {}, { offset: -1 }), /invalid offset/);
  assert.throws(() => fileArgs({ pid: 9 }, 'get', '/f', {}, { offset: 0, length: 1.5 }), /invalid length/);
});

test('mountArgs/umountArgs: flags in order; bad pids, sources and targets refused', () => {
  assert.deepEqual(mountArgs(42, { source: '/srv/data', target: '/mnt/data' }), ['mount', '--pid', '42', '--source', '/srv/data', '--target', '/mnt/data']);
  assert.deepEqual(mountArgs(42, { source: '/s', target: '/t', readonly: true, recursive: true, shift: true, propagation: 'rslave' }), [
    'mount', '--pid', '42', '--source', '/s', '--target', '/t', '--readonly', '--recursive', '--shift', '--propagation', 'rslave',
  ]);
  assert.deepEqual(umountArgs(42, '/mnt/data'), ['umount', '--pid', '42', '--target', '/mnt/data']);
  assert.throws(() => mountArgs(1, { source: '/s', target: '/t' }), /invalid pid/);
  assert.throws(() => mountArgs(42, { source: 'rel', target: '/t' }), /source must be an absolute/);
  assert.throws(() => mountArgs(42, { source: '/s', target: 't' }), /target must be absolute/);
  assert.throws(() => mountArgs(42, { source: '/s', target: '/a/../b' }), /may not contain/);
  assert.throws(() => mountArgs(42, { source: '/s', target: '/./' }), /container root/);
  assert.throws(() => mountArgs(42, { source: '/s\0', target: '/t' }), /NUL/);
  assert.throws(() => mountArgs(42, { source: '/s', target: '/t', propagation: 'bogus' as 'private' }), /invalid propagation/);
  assert.throws(() => umountArgs(42, '/'), /container root/);
});

/** A runner whose run() fails like the helper with the given stderr (or succeeds with stdout). */
function fakeRunner(result: { stdout?: string; stderr?: string; code?: number }, calls: string[][] = []): Runner {
  return {
    run: async (cmd, args) => {
      calls.push([cmd, ...args]);
      if (result.code) throw new RunError(cmd, result.code, '', result.stderr ?? '');
      return { code: 0, stdout: result.stdout ?? '', stderr: '' };
    },
    spawn: () => {
      throw new Error('not used');
    },
  };
}

test('umountFrom: true when removed, false when nothing was mounted, errors otherwise', async () => {
  const calls: string[][] = [];
  assert.equal(await umountFrom(7, '/m', { runner: fakeRunner({}, calls), env }), true);
  assert.deepEqual(calls, [['/opt/lodge-helper', 'umount', '--pid', '7', '--target', '/m']]);
  const notMounted = '{"error":"umount /m: not a mount point","errno":22}';
  assert.equal(await umountFrom(7, '/m', { runner: fakeRunner({ code: 1, stderr: notMounted }), env }), false);
  const gone = '{"error":"open /m: No such file or directory","errno":2}';
  assert.equal(await umountFrom(7, '/m', { runner: fakeRunner({ code: 1, stderr: gone }), env }), false);
  const other = `{"error":"umount /m: Device or resource busy","errno":${constants.errno.EBUSY}}`;
  await assert.rejects(umountFrom(7, '/m', { runner: fakeRunner({ code: 1, stderr: other }), env }), (e: FileError) => e.code === 'EBUSY');
});

test('deviceRule and cgroupSetArgs', () => {
  assert.equal(deviceRule('c', 10, 200), 'c 10:200 rwm');
  assert.equal(deviceRule('b', 8, '*', 'rw'), 'b 8:* rw');
  assert.throws(() => deviceRule('c', -1, 0), /invalid device number/);
  assert.throws(() => deviceRule('c', 1, 3, 'x'), /invalid access/);
  assert.deepEqual(cgroupSetArgs('/var/lib/lodge/containers', 'c1', 'devices.allow', 'c 1:3 rwm'), [
    'cgroup-set', '--lxcpath', '/var/lib/lodge/containers', '--name', 'c1', 'devices.allow', 'c 1:3 rwm',
  ]);
  assert.throws(() => cgroupSetArgs('/p', 'c1', '../x', 'v'), /invalid cgroup key/);
  assert.throws(() => cgroupSetArgs('/p', 'c1', 'devices.allow', '--name'), /invalid cgroup value/);
  assert.throws(() => cgroupSetArgs('/p', '', 'devices.allow', 'a'), /empty name/);
});

const lo = {
  addresses: [{ family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' }],
  counters: {
    bytes_received: 1, bytes_sent: 2, packets_received: 3, packets_sent: 4, errors_received: 0, errors_sent: 0, packets_dropped_outbound: 0, packets_dropped_inbound: 0,
  },
  hwaddr: '',
  host_name: '',
  mtu: 65536,
  state: 'up',
  type: 'loopback',
};

test('netinfoArgs and parseNetinfo: one pid is bare, several are keyed by pid; duplicates merged', () => {
  assert.deepEqual(netinfoArgs([5, 6, 5]), ['netinfo', '--pid', '5', '--pid', '6']);
  assert.throws(() => netinfoArgs([]), /no pid/);
  assert.throws(() => netinfoArgs([1]), /invalid pid/);
  const one = parseNetinfo(JSON.stringify({ lo }), [5, 5]);
  assert.deepEqual([...one.keys()], [5]);
  assert.deepEqual(one.get(5), { lo });
  const many = parseNetinfo(JSON.stringify({ 5: { lo }, 6: {}, 99: { lo } }), [5, 6, 7]);
  assert.deepEqual([...many.keys()].sort(), [5, 6]); // 7 failed (left out), 99 was not asked
  assert.deepEqual(many.get(6), {});
  assert.throws(() => parseNetinfo('{"lo":{"addresses":"x"}}', [5]), FileError);
  assert.throws(() => parseNetinfo(JSON.stringify({ lo: { ...lo, counters: { bytes_received: '1' } } }), [5]), FileError);
  assert.throws(() => parseNetinfo('nope', [5]), /not JSON/);
  assert.throws(() => parseNetinfo('[]', [5, 6]), FileError);
});

test('netInfo: no pid, no process; a single failed pid gives an empty map', async () => {
  const calls: string[][] = [];
  assert.equal((await netInfo([], { runner: fakeRunner({}, calls), env })).size, 0);
  assert.equal(calls.length, 0);
  const gone = '{"error":"pid 5: open the network namespace: No such process","errno":3}';
  assert.equal((await netInfo([5], { runner: fakeRunner({ code: 1, stderr: gone }), env })).size, 0);
  assert.deepEqual((await netInfo([5, 6], { runner: fakeRunner({ stdout: JSON.stringify({ 6: { lo } }) }, calls), env })).get(6), { lo });
  assert.deepEqual(calls[0], ['/opt/lodge-helper', 'netinfo', '--pid', '5', '--pid', '6']);
});

test('notifyArgs and the post-stop hook command line', () => {
  assert.deepEqual(notifyArgs({ socket: '/var/lib/lodge/unix.socket', url: '/internal/instances/default/c1/stopped', envQuery: { LXC_TARGET: 'target' } }), [
    'notify', '--socket', '/var/lib/lodge/unix.socket', '--url', '/internal/instances/default/c1/stopped', '--env-query', 'LXC_TARGET=target',
  ]);
  assert.deepEqual(notifyArgs({ socket: '/s', url: '/u?a=b', method: 'POST', timeoutMs: 500, bestEffort: true }), [
    'notify', '--socket', '/s', '--url', '/u?a=b', '--method', 'POST', '--timeout-ms', '500', '--best-effort',
  ]);
  assert.throws(() => notifyArgs({ socket: '/s', url: 'relative' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/a b' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/a\r\nX: y' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', method: 'GET /x' }), /invalid method/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', timeoutMs: 0 }), /invalid timeout/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', envQuery: { 'A-B': 'x' } }), /invalid env query/);
  assert.equal(
    notifyHookCommand({ socket: "/tmp/it's here/unix.socket", url: '/internal/x', envQuery: { LXC_TARGET: 'target' } }, env),
    "/opt/lodge-helper notify --socket '/tmp/it'\\''s here/unix.socket' --url /internal/x --env-query LXC_TARGET=target",
  );
});

test('shiftArgs: one --map per entry (u, g or b), --reverse before them', () => {
  const lxd = [
    { Isuid: true, Isgid: false, Hostid: 100000, Nsid: 0, Maprange: 65536 },
    { Isuid: false, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 },
  ];
  assert.deepEqual(shiftArgs('/var/lib/lodge/c1/rootfs', lxd), ['shift', '--root', '/var/lib/lodge/c1/rootfs', '--map', 'u:100000:0:65536', '--map', 'g:100000:0:65536']);
  assert.deepEqual(shiftArgs('/r', [{ Isuid: true, Isgid: true, Hostid: 1000000, Nsid: 0, Maprange: 1000000000 }], { reverse: true }), [
    'shift', '--root', '/r', '--reverse', '--map', 'b:1000000:0:1000000000',
  ]);
  // The last ids of a range may reach 2^32 - 2, never 2^32 - 1 (chown's "unchanged").
  assert.deepEqual(shiftArgs('/r', [{ Isuid: true, Isgid: false, Hostid: 0xfffffffe, Nsid: 5, Maprange: 1 }]).slice(-1), ['u:4294967294:5:1']);
});

test('shiftArgs: refuses bad roots and id maps', () => {
  const ok = { Isuid: true, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 };
  assert.throws(() => shiftArgs('rel/rootfs', [ok]), /absolute/);
  assert.throws(() => shiftArgs('/a/../b', [ok]), /\.\./);
  assert.throws(() => shiftArgs('/a\0b', [ok]), /NUL/);
  assert.throws(() => shiftArgs('/r', []), /no id map/);
  assert.throws(() => shiftArgs('/r', [{ ...ok, Isuid: false, Isgid: false }]), /neither/);
  for (const bad of [{ Maprange: 0 }, { Maprange: 1.5 }, { Hostid: -1 }, { Nsid: Number.NaN }, { Hostid: 0xffffffff, Maprange: 1 }, { Nsid: 0xfffffff0, Maprange: 16 }]) {
    assert.throws(() => shiftArgs('/r', [{ ...ok, ...bad }]), /invalid id map entry/, JSON.stringify(bad));
  }
  assert.throws(() => shiftArgs('/r', [{ ...ok, Hostid: '1' as unknown as number }]), /invalid id map entry/);
});

test('shiftTree: runs the helper, parses the summary, turns errors into FileErrors', async () => {
  const calls: string[][] = [];
  const map = [{ Isuid: true, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 }];
  assert.deepEqual(await shiftTree('/r', map, {}, { runner: fakeRunner({ stdout: '{"entries":12,"changed":11}\n' }, calls), env }), { entries: 12, changed: 11 });
  assert.deepEqual(calls[0], ['/opt/lodge-helper', 'shift', '--root', '/r', '--map', 'b:100000:0:65536']);
  const failed = '{"error":"chown usr/bin/x: Operation not permitted","errno":1}';
  await assert.rejects(shiftTree('/r', map, { reverse: true }, { runner: fakeRunner({ code: 1, stderr: failed }), env }), (e: unknown) => {
    assert.ok(e instanceof FileError);
    assert.equal(e.code, 'EPERM');
    assert.match(e.message, /usr\/bin\/x/);
    return true;
  });
  assert.throws(() => parseShiftResult('not json'), /not JSON/);
  assert.throws(() => parseShiftResult('{"entries":1}'), /unexpected output/);
});
