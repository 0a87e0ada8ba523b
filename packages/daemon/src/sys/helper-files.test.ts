// Pure logic of the lodge-helper wrapper: file operation argv and header parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileError } from './helper.js';
import { fileArgs, parseFileHeader } from './helper-files.js';

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
