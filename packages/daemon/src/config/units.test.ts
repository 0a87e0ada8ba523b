// Unit tests for LXD size units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatByteSize, parseByteSize } from './units.js';

test('decimal and binary suffixes follow LXD: MB = 10^6, MiB = 2^20', () => {
  assert.equal(parseByteSize('256MB'), 256_000_000);
  assert.equal(parseByteSize('256MiB'), 256 * 1024 * 1024);
  assert.equal(parseByteSize('1kB'), 1000);
  assert.equal(parseByteSize('1KiB'), 1024);
  assert.equal(parseByteSize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseByteSize('1024'), 1024);
  assert.equal(parseByteSize('10B'), 10);
  assert.equal(parseByteSize(''), 0);
});

test('bad sizes are refused', () => {
  for (const bad of ['abc', 'MB', '1.5GB', '10 MB', '1mb', '-1MB', '1KB', '99999999999EB']) {
    assert.throws(() => parseByteSize(bad), Error, bad);
  }
});

test('sizes format like lxc', () => {
  assert.equal(formatByteSize(1036810), '1.04MB');
  assert.equal(formatByteSize(512), '512B');
  assert.equal(formatByteSize(1048576, 2, true), '1.00MiB');
});
