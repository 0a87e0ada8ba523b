// Pure parts of the commands: image list columns and filters, import arguments, config set targets, storage used-by.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Image } from '@lodge/api';
import { serverSetTarget } from './config.js';
import { apiFilter, imageMatches, parseColumns, splitFilters } from './image-list.js';
import { parseImportArgs } from './image-transfer.js';
import { usedByGroups } from './storage.js';

const img = {
  fingerprint: '9153964bdc37af388d6cad2fca92b38fe1b665352cfafd8024e716d36ff74c0e',
  aliases: [{ name: 'split', description: '' }, { name: 'sp2', description: '' }],
  properties: { os: 'busybox', 'image.release': '1.35.0', description: 'split image' },
  public: true,
  architecture: 'x86_64',
  size: 1044884,
  uploaded_at: '2026-11-21T17:24:58.602Z',
  type: 'container',
} as unknown as Image;

test('columns: shorthand letters, comma groups, and lxc errors', () => {
  assert.deepEqual(parseColumns('lfpdatsu').map((c) => c.name), ['ALIAS', 'FINGERPRINT', 'PUBLIC', 'DESCRIPTION', 'ARCHITECTURE', 'TYPE', 'SIZE', 'UPLOAD DATE']);
  assert.deepEqual(parseColumns('l,L').map((c) => c.data(img)), ['sp2 (1 more)', 'sp2\nsplit']);
  assert.throws(() => parseColumns('l,,f'), /Empty column entry/);
  assert.throws(() => parseColumns('lx'), /Unknown column shorthand char 'x' in 'lx'/);
});

test('filters: top-level fields go to the API, the rest are matched here', () => {
  const split = splitFilters(['public=true', 'os=busybox', 'architecture=x86_64,i686', 'bb']);
  assert.deepEqual(split, { server: ['public=true'], client: ['os=busybox', 'architecture=x86_64,i686', 'bb'] });
  assert.equal(apiFilter(['public=true', 'type=container']), 'public eq true and type eq container');
  assert.equal(imageMatches(['os=busy.*'], img), true);
  assert.equal(imageMatches(['i.rel=1.35.0'], img), true);
  assert.equal(imageMatches(['os=alpine'], img), false);
  assert.equal(imageMatches(['spl', '9153'], img), true);
  assert.equal(imageMatches(['public=true'], img), true);
  assert.equal(imageMatches(['nomatch'], img), false);
});

test('import arguments: files, a remote, and key=value properties', () => {
  const exists = (p: string): boolean => p.endsWith('.tar.xz') || p.endsWith('.squashfs') || p === 'odd=name.tar';
  assert.deepEqual(parseImportArgs(['meta.tar.xz', 'rootfs.squashfs', 'local:', 'os=busybox', ' description = x '], exists), {
    imageFile: 'meta.tar.xz',
    rootfsFile: 'rootfs.squashfs',
    remote: 'local:',
    properties: { os: 'busybox', description: 'x' },
  });
  assert.equal(parseImportArgs(['odd=name.tar'], exists).imageFile, 'odd=name.tar');
});

test('config set: telling a remote or instance from keys', () => {
  assert.equal(serverSetTarget(['core.trust_password', 'x']), '');
  assert.equal(serverSetTarget(['core.trust_password=x']), '');
  assert.equal(serverSetTarget(['local:', 'core.x=y']), 'local:');
  assert.equal(serverSetTarget(['c1', 'limits.cpu=2']), 'c1');
});

test('storage info groups used_by URLs', () => {
  assert.deepEqual(usedByGroups(['/1.0/profiles/default', '/1.0/profiles/p?project=x', '/1.0/storage-pools/default/volumes/custom/v1', '/1.0/images/abc']), {
    profiles: ['default', 'p (project "x")'],
    volumes: ['v1'],
    images: ['abc'],
  });
});
