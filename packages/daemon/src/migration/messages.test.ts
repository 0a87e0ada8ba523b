// Unit tests: migration messages match bytes captured from a real LXD 5.0.2 source.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CriuType, FsType, decodeControl, decodeHeader, encodeControl, encodeHeader } from './messages.js';

// A running container's offer with live=false, from lxd-protocols.md §8.4.
const captured = '080010021a0f0801100018a08d0620002881ade2041a0f0800100118a08d0620002881ade2043800420808011001180120016801';

test('decodes and re-encodes a captured MigrationHeader byte for byte', () => {
  const h = decodeHeader(Buffer.from(captured, 'hex'));
  assert.equal(h.fs, FsType.RSYNC);
  assert.equal(h.criu, CriuType.NONE);
  assert.deepEqual(h.idmap[0], { isuid: true, isgid: false, hostid: 100000, nsid: 0, maprange: 10000001 });
  assert.equal(h.predump, false);
  assert.deepEqual(h.rsyncFeatures, { xattrs: true, delete: true, compress: true, bidirectional: true });
  assert.equal(h.indexHeaderVersion, 1);
  assert.equal(encodeHeader(h).toString('hex'), captured);
});

test('snapshots with negative (zero Go time) dates and devices round-trip', () => {
  const h = {
    fs: FsType.RSYNC,
    idmap: [],
    snapshotNames: ['snap0'],
    snapshots: [{ name: 'snap0', localConfig: { 'image.os': 'busybox' }, profiles: ['default'], ephemeral: false, localDevices: { d: { type: 'disk', path: '/x', source: '/y' } }, architecture: 2, stateful: false, creationDate: 1795272021, lastUsedDate: -62135596800, expiryDate: -62135596800 }],
    rsyncFeatures: { xattrs: true, delete: true, compress: true, bidirectional: true },
    indexHeaderVersion: 1,
  };
  assert.deepEqual(decodeHeader(encodeHeader(h)).snapshots[0], h.snapshots[0]);
});

test('MigrationControl matches the observed success bytes', () => {
  assert.equal(encodeControl(true, '').toString('hex'), '08011200');
  assert.deepEqual(decodeControl(Buffer.from('08011200', 'hex')), { success: true, message: '' });
  assert.deepEqual(decodeControl(encodeControl(false, 'boom')), { success: false, message: 'boom' });
});
