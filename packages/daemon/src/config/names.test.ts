// Unit tests for LXD's name rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceNameProblem, validateObjectName, validateProjectName, validateSnapshotName } from './names.js';

test('instance names follow hostname rules', () => {
  for (const ok of ['c1', 'web-01', 'A', 'x'.repeat(63)]) assert.equal(instanceNameProblem(ok), undefined, ok);
  const bad: [string, RegExp][] = [
    ['', /1-63/],
    ['x'.repeat(64), /1-63/],
    ['-a', /start with "-"/],
    ['a-', /end with "-"/],
    ['1abc', /number/],
    ['a_b', /alphanumeric/],
    ['a.b', /alphanumeric/],
    ['a/b', /snapshots/],
    ['..', /alphanumeric/],
  ];
  for (const [name, re] of bad) assert.match(instanceNameProblem(name) ?? '', re, name);
});

test('profile-like names refuse slashes, dot names, blanks', () => {
  assert.equal(validateObjectName('Profile', 'web'), 'web');
  assert.equal(validateObjectName('Profile', 'with space'), 'with space');
  for (const bad of ['', 'a/b', '.', '..', 'tab\tx', 'nl\nx']) assert.throws(() => validateObjectName('Profile', bad), Error, bad);
});

test('project names', () => {
  assert.equal(validateProjectName('dev'), 'dev');
  for (const bad of ['', 'a/b', 'a b', 'a_b', "a'b", 'a"b', '*', '..']) assert.throws(() => validateProjectName(bad), Error, bad);
});

test('snapshot names', () => {
  assert.equal(validateSnapshotName('snap0'), 'snap0');
  for (const bad of ['', 'a b', 'a/b', '..']) assert.throws(() => validateSnapshotName(bad), Error, bad);
});
