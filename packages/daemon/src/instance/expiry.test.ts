// Unit tests for snapshot expiry expressions and name patterns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiryFrom, nextSnapshotName } from './expiry.js';

test('expiry units add up from the reference time', () => {
  const t = new Date('2026-01-31T10:00:00Z');
  assert.equal(expiryFrom(t, '30M')?.toISOString(), '2026-01-31T10:30:00.000Z');
  assert.equal(expiryFrom(t, '1d 2H')?.toISOString(), '2026-02-01T12:00:00.000Z');
  assert.equal(expiryFrom(t, '2w')?.toISOString(), '2026-02-14T10:00:00.000Z');
  assert.equal(expiryFrom(t, '1y')?.toISOString(), '2027-01-31T10:00:00.000Z');
  assert.equal(expiryFrom(t, ''), undefined);
  assert.throws(() => expiryFrom(t, '1 day'), /Invalid expiry/);
});

test('snapshot names take the lowest free number; dates in patterns', () => {
  const now = new Date('2026-11-21T08:05:09Z');
  assert.equal(nextSnapshotName('snap%d', [], now), 'snap0');
  assert.equal(nextSnapshotName('snap%d', ['snap0', 'snap1', 'snap3'], now), 'snap2');
  assert.equal(nextSnapshotName('backup', ['backup'], now), 'backup-1');
  assert.equal(nextSnapshotName("auto-{{ creation_date|date:'2006-01-02' }}-%d", [], now), 'auto-2026-11-21-0');
});
