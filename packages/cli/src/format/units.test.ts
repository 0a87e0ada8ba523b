// Sizes, rounding and dates as lxc formats them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteSize, byteSizeIEC, goFixed, imageSize, longDate, shortDate } from './units.js';

test('%.2f rounds exact ties to even like Go, not up like toFixed', () => {
  assert.equal(goFixed(0.125, 2), '0.12');
  assert.equal(goFixed(0.375, 2), '0.38');
  assert.equal(goFixed(1.005, 2), '1.00');
  assert.equal(goFixed(2.5, 0), '2');
  assert.equal(goFixed(-1.5, 0), '-2');
  assert.equal(goFixed(0.994, 2), '0.99');
});

test('image sizes are MiB labelled MB', () => {
  assert.equal(imageSize(1036809), '0.99MB');
  assert.equal(imageSize(1044884), '1.00MB');
  assert.equal(imageSize(131072), '0.12MB');
});

test('SI and IEC byte sizes', () => {
  assert.equal(byteSize(999), '999B');
  assert.equal(byteSize(1000), '1.00kB');
  assert.equal(byteSize(64_830_000), '64.83MB');
  assert.equal(byteSizeIEC(1023), '1023B');
  assert.equal(byteSizeIEC(1024 * 1024 * 1.5), '1.50MiB');
});

test('dates use Go layouts in UTC', () => {
  assert.equal(longDate('2026-11-21T17:19:58.469Z'), 'Nov 21, 2026 at 5:19pm (UTC)');
  assert.equal(longDate('2026-01-02T00:04:00Z'), 'Jan 2, 2026 at 12:04am (UTC)');
  assert.equal(longDate('2026-01-02T12:00:00+02:00'), 'Jan 2, 2026 at 10:00am (UTC)');
  assert.equal(shortDate('2026-11-21T17:24:57Z'), '2026/11/21 17:24 UTC');
});
