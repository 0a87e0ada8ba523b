// Pure logic of the lodge-helper wrapper: attach argv, exit statuses and signals.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import { attachArgs, exitStatus, resizeLine, signalAttached } from './helper-attach.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

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
