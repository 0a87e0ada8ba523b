// Pure parts of copy, publish, export, image copy and the storage and trust commands: what lxc strips, overrides,
// parses and prints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attemptsError } from '@lodge/client';
import { imagesPost, instanceSource, instancesPost } from '../requests.js';
import { backupNameOf } from './backup.js';
import { applyOverrides, keptWhenCopying } from './copy.js';
import { configFlags } from './launch.js';
import { parseRfc3339 } from './publish.js';
import { parseVolume, volumeRowOrder } from './storage.js';
import { certDate } from './trust.js';

test('copies keep the base image but no other volatile key; last_state.power goes even when volatile keys stay', () => {
  assert.equal(keptWhenCopying('volatile.base_image'), true);
  assert.equal(keptWhenCopying('volatile.idmap.next'), false);
  assert.equal(keptWhenCopying('limits.cpu'), true);
  const entry = {
    config: { 'volatile.base_image': 'fp', 'volatile.eth0.hwaddr': 'x', 'volatile.last_state.power': 'RUNNING', 'user.a': '1' },
    devices: { root: { type: 'disk', path: '/', pool: 'default' }, eth0: { type: 'nic', nictype: 'bridged' } },
    profiles: ['default'],
    ephemeral: false,
  };
  const moved = structuredClone(entry);
  applyOverrides(moved, { config: {}, devices: {}, ephemeral: -1, pool: '', keepVolatile: true });
  assert.deepEqual(Object.keys(moved.config), ['volatile.base_image', 'volatile.eth0.hwaddr', 'user.a']);
  applyOverrides(entry, {
    config: { 'user.b': '2' },
    devices: { eth0: { mtu: '1400' }, data: { type: 'disk', source: '/srv', path: '/srv' } },
    profiles: ['p1', 'p2'],
    ephemeral: 1,
    pool: 'fast',
    keepVolatile: false,
  });
  assert.deepEqual(entry.config, { 'volatile.base_image': 'fp', 'user.a': '1', 'user.b': '2' });
  assert.deepEqual(entry.devices, {
    root: { type: 'disk', path: '/', pool: 'fast' },
    eth0: { type: 'nic', nictype: 'bridged', mtu: '1400' },
    data: { type: 'disk', source: '/srv', path: '/srv' },
  });
  assert.deepEqual([entry.profiles, entry.ephemeral], [['p1', 'p2'], true]);
  const bare = { config: {}, devices: {}, profiles: ['default'], ephemeral: true };
  applyOverrides(bare, { config: {}, devices: {}, noProfiles: true, ephemeral: 0, pool: 'p', keepVolatile: false });
  assert.deepEqual(bare, { config: {}, devices: { root: { type: 'disk', path: '/', pool: 'p' } }, profiles: [], ephemeral: false });
  assert.deepEqual(configFlags(['a=b', 'c=d=e']), { a: 'b', c: 'd=e' });
  assert.throws(() => configFlags(['nokey']), /^Error: Bad key=value pair: nokey$/);
});

test('request bodies carry the Go client fields in struct order, with its zero values', () => {
  assert.deepEqual(Object.keys(imagesPost({})), ['auto_update', 'properties', 'public', 'expires_at', 'profiles', 'filename', 'source', 'compression_algorithm', 'aliases']);
  const pub = imagesPost({ source: { type: 'snapshot', name: 'c1/s' } });
  assert.deepEqual(pub.source, { alias: '', certificate: '', protocol: '', server: '', image_type: '', mode: '', type: 'snapshot', url: '', name: 'c1/s', fingerprint: '', secret: '', project: '' });
  assert.equal(pub.expires_at, '0001-01-01T00:00:00Z');
  assert.deepEqual(instanceSource({ type: 'copy', 'base-image': 'fp', source: 'c1', live: false, instance_only: true, refresh: false }), {
    type: 'copy',
    certificate: '',
    'base-image': 'fp',
    source: 'c1',
    instance_only: true,
    allow_inconsistent: false,
  });
  const body = instancesPost({ name: 'c2', source: { type: 'none' } });
  assert.deepEqual(Object.keys(body), ['architecture', 'config', 'devices', 'ephemeral', 'profiles', 'stateful', 'description', 'name', 'source', 'instance_type', 'type']);
  assert.deepEqual([body.config, body.profiles, body.source], [null, null, { type: 'none', certificate: '', allow_inconsistent: false }]);
});

test('export names the backup from the operation; --expire takes RFC 3339 only', () => {
  assert.equal(backupNameOf({ backups: ['/1.0/backups/backup0'], instances: ['/1.0/instances/c1'] }), 'backup0');
  assert.equal(backupNameOf({ backups: ['/1.0/backups/nightly?project=p'] }), 'nightly');
  assert.throws(() => backupNameOf({}), /did not name the new backup/);
  assert.equal(parseRfc3339('2030-01-02T03:04:05Z'), '2030-01-02T03:04:05Z');
  assert.equal(parseRfc3339('2030-01-02T03:04:05.5+02:00'), '2030-01-02T03:04:05.5+02:00');
  assert.throws(() => parseRfc3339('2030-01-02'), /^Error: Invalid expiration date: parsing time "2030-01-02" as "2006-01-02T15:04:05Z07:00"/);
});

test('errors of attempts on several addresses are worded as the Go client words them', () => {
  assert.equal(attemptsError('Failed remote image download', [{ url: 'https://a', error: new Error('boom') }]).message, 'Failed remote image download: boom');
  assert.equal(
    attemptsError('Failed remote image download', [
      { url: 'https://a', error: new Error('x') },
      { url: 'https://b', error: new Error('y') },
    ]).message,
    'Failed remote image download:\n - https://a: x\n - https://b: y',
  );
});

test('storage volumes: type prefixes and lxc row order; certificate dates as lxc prints them', () => {
  assert.deepEqual(parseVolume('custom', 'v1'), { name: 'v1', type: 'custom' });
  assert.deepEqual(parseVolume('custom', 'container/c1'), { name: 'c1', type: 'container' });
  assert.deepEqual(parseVolume('custom', 'v1/snap0'), { name: 'v1/snap0', type: 'custom' });
  const rows = [
    ['image', 'fp'],
    ['container', 'c10'],
    ['container (snapshot)', 'c2/snap0'],
    ['container', 'c2'],
    ['custom', ''],
  ];
  assert.deepEqual([...rows].sort(volumeRowOrder), [['container', 'c2'], ['container (snapshot)', 'c2/snap0'], ['container', 'c10'], ['custom', ''], ['image', 'fp']]);
  assert.equal(certDate(new Date('2026-11-21T18:42:00Z')), 'Nov 21, 2026 at 6:42pm (UTC)');
  assert.equal(certDate(new Date('2036-01-05T00:07:00Z')), 'Jan 5, 2036 at 12:07am (UTC)');
  assert.equal(certDate(new Date('2036-01-05T12:00:00Z')), 'Jan 5, 2036 at 12:00pm (UTC)');
});
