// lodge file's pure rules: instance/path targets, Go's path cleaning, --mode parsing, recursive mkdir steps, links.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followLink, goClean, mkdirSteps, parseMode, pullTargetPath, pushTarget, splitInstancePath } from './file-args.js';

test('instance/path targets', () => {
  assert.deepEqual(splitInstancePath('c1/etc/hosts'), { instance: 'c1', path: 'etc/hosts' });
  assert.deepEqual(splitInstancePath('remote:c1/etc/'), { instance: 'remote:c1', path: 'etc/' });
  assert.equal(splitInstancePath('c1'), undefined);
  assert.deepEqual(pushTarget('c1/root/'), { instance: 'c1', path: '/root', isDir: true });
  assert.deepEqual(pushTarget('c1/root//x/../f.txt'), { instance: 'c1', path: '/root/f.txt', isDir: false });
  assert.deepEqual(pushTarget('c1/'), { instance: 'c1', path: '/', isDir: true });
  assert.throws(() => pushTarget('c1'), /^Error: Invalid target c1$/);
});

test("Go's path.Clean", () => {
  assert.equal(goClean(''), '.');
  assert.equal(goClean('/a/b/'), '/a/b');
  assert.equal(goClean('a//b/./c/..'), 'a/b');
  assert.equal(goClean('/'), '/');
});

test('--mode: three digits are octal, otherwise base prefixes as strconv.ParseInt(s, 0)', () => {
  assert.equal(parseMode('644'), 0o644);
  assert.equal(parseMode('0600'), 0o600);
  assert.equal(parseMode('0o755'), 0o755);
  assert.equal(parseMode('0x1ed'), 0o755);
  assert.equal(parseMode('1000'), 1000);
  assert.throws(() => parseMode('rwx'), /strconv\.ParseInt: parsing "0rwx": invalid syntax/);
  assert.throws(() => parseMode('0999'), /invalid syntax/);
});

test('recursive mkdir creates what is below the deepest existing directory', () => {
  assert.deepEqual(mkdirSteps('/a/b/c', 0), ['/a', '/a/b', '/a/b/c']);
  assert.deepEqual(mkdirSteps('/a/b/c', 3), ['/a/b', '/a/b/c']);
  assert.deepEqual(mkdirSteps('/a/b/c', 5), []);
});

test('pull targets and symlink resolution', () => {
  assert.equal(pullTargetPath('out', true, 'etc/hosts'), 'out/hosts');
  assert.equal(pullTargetPath('x.txt', false, 'etc/hosts'), 'x.txt');
  assert.equal(followLink('root/dir/link', 'target\n'), 'root/dir/target');
  assert.equal(followLink('root/dir/link', '../up'), 'root/up');
  assert.equal(followLink('root/link', '/etc/passwd'), '/etc/passwd');
});
