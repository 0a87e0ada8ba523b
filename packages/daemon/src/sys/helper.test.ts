// Pure logic of the lodge-helper wrapper: argv building, exit statuses, error and header parsing.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import { attachArgs, exitStatus, FileError, fileArgs, helperPath, parseFileError, parseFileHeader, signalAttached } from './helper.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

test('helperPath: LODGE_HELPER wins, else native/build beside the compiled daemon', () => {
  assert.equal(helperPath(env), '/opt/lodge-helper');
  assert.match(helperPath({}), /\/packages\/daemon\/native\/build\/lodge-helper$/);
});

test('attachArgs: ids, cwd, environment, then the command after --', () => {
  const { file, args } = attachArgs(
    { lxcpath: '/var/lib/lodge/containers', name: 'c1', uid: 1000, gid: 1001, cwd: '/srv', env: { PATH: '/bin', A: 'b=c' }, command: ['sh', '-c', 'echo --uid'] },
    env,
  );
  assert.equal(file, '/opt/lodge-helper');
  assert.deepEqual(args, [
    'attach', '--lxcpath', '/var/lib/lodge/containers', '--name', 'c1', '--uid', '1000', '--gid', '1001', '--cwd', '/srv',
    '--env', 'PATH=/bin', '--env', 'A=b=c', '--', 'sh', '-c', 'echo --uid',
  ]);
});

test('attachArgs: cwd defaults to HOME like LXD; no cwd without either', () => {
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', env: { HOME: '/root' }, command: ['true'] }, env).args, [
    'attach', '--lxcpath', '/p', '--name', 'c', '--cwd', '/root', '--env', 'HOME=/root', '--', 'true',
  ]);
  assert.deepEqual(attachArgs({ lxcpath: '/p', name: 'c', command: ['true'] }, env).args, ['attach', '--lxcpath', '/p', '--name', 'c', '--', 'true']);
});

test('attachArgs: refuses what the helper could misread', () => {
  const base = { lxcpath: '/p', name: 'c', command: ['true'] };
  assert.throws(() => attachArgs({ ...base, command: [] }, env), /empty command/);
  assert.throws(() => attachArgs({ ...base, uid: -1 }, env), /invalid uid/);
  assert.throws(() => attachArgs({ ...base, gid: 1.5 }, env), /invalid gid/);
  assert.throws(() => attachArgs({ ...base, uid: 0xffffffff }, env), /invalid uid/);
  assert.throws(() => attachArgs({ ...base, env: { 'A=B': 'x' } }, env), /invalid environment variable/);
  assert.throws(() => attachArgs({ ...base, env: { '': 'x' } }, env), /invalid environment variable/);
  assert.throws(() => attachArgs({ ...base, command: ['echo', 'a\0b'] }, env), /NUL/);
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
