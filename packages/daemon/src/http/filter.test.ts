// Unit tests for the ?filter= language.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFilter, parseFilter } from './filter.js';

const images = [
  { fingerprint: 'aa', public: true, properties: { os: 'busybox', 'image.x': 'y' }, aliases: [] },
  { fingerprint: 'bb', public: false, properties: { os: 'Debian' } },
];

test('eq, ne, not, and, or, regexps, case-insensitive', () => {
  assert.deepEqual(applyFilter(images, 'properties.os eq busybox').map((i) => i.fingerprint), ['aa']);
  assert.deepEqual(applyFilter(images, 'properties.os eq debian').map((i) => i.fingerprint), ['bb']);
  assert.deepEqual(applyFilter(images, 'properties.os ne busybox').map((i) => i.fingerprint), ['bb']);
  assert.deepEqual(applyFilter(images, 'not properties.os eq busybox').map((i) => i.fingerprint), ['bb']);
  assert.deepEqual(applyFilter(images, 'properties.os eq b.*').map((i) => i.fingerprint), ['aa']);
  assert.deepEqual(applyFilter(images, 'public eq true').map((i) => i.fingerprint), ['aa']);
  assert.deepEqual(applyFilter(images, 'fingerprint eq aa or fingerprint eq bb').length, 2);
  assert.deepEqual(applyFilter(images, 'properties.image.x eq y').map((i) => i.fingerprint), ['aa']);
  assert.deepEqual(applyFilter(images, '').length, 2);
});

test('quoted values with spaces and malformed filters', () => {
  assert.equal(parseFilter('description eq "a b c"')[0]?.value, 'a b c');
  for (const bad of ['name', 'name eq', 'name like x', 'a eq b xor c eq d', 'a eq b and', 'a eq "open']) {
    assert.throws(() => parseFilter(bad), /Invalid filter/, bad);
  }
});
