// Pure logic of the lodge-helper wrapper: mount, umount and cgroup-set argv and results.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import { FileError } from './helper.js';
import { cgroupSetArgs, deviceRule, mountArgs, umountArgs, umountFrom } from './helper-mount.js';
import { fakeRunner } from './helper-runner.fixture.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

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

