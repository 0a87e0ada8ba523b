// Unit tests for overlay argv building and mountinfo parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlayArgs, parseMountinfo } from './overlay.js';

test('overlayArgs: lowers topmost first, the rw directory, and one --map per id map entry', () => {
  const args = overlayArgs({
    target: '/p/containers/c/rootfs',
    lowers: ['/p/images/f/rootfs'],
    rw: '/p/layers/containers/c',
    source: 'lodge-ct',
    maps: [
      { Isuid: true, Isgid: false, Hostid: 100000, Nsid: 0, Maprange: 65536 },
      { Isuid: false, Isgid: true, Hostid: 200000, Nsid: 0, Maprange: 65536 },
    ],
  });
  assert.deepEqual(args, ['overlay', '--target', '/p/containers/c/rootfs', '--source', 'lodge-ct', '--lower', '/p/images/f/rootfs', '--rw', '/p/layers/containers/c', '--map', 'u:100000:0:65536', '--map', 'g:200000:0:65536']);
  assert.deepEqual(overlayArgs({ target: '/t', lowers: ['/u', '/l'], source: 'lodge-snap', readonly: true }), ['overlay', '--target', '/t', '--source', 'lodge-snap', '--lower', '/u', '--lower', '/l', '--readonly']);
  assert.throws(() => overlayArgs({ target: '/t', lowers: ['/l'], source: 's', maps: [{ Isuid: true, Isgid: true, Hostid: -1, Nsid: 0, Maprange: 1 }] }), /invalid id map/);
});

test('parseMountinfo: target, type and source, with octal escapes and optional fields', () => {
  const text = [
    '190 27 0:54 / /tmp/a\\040b/rootfs rw,relatime shared:5 - overlay lodge-view rw,lowerdir+=/l0',
    '191 27 0:55 / /tmp/c rw - tmpfs tmpfs rw',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseMountinfo(text), [
    { target: '/tmp/a b/rootfs', fstype: 'overlay', source: 'lodge-view' },
    { target: '/tmp/c', fstype: 'tmpfs', source: 'tmpfs' },
  ]);
});
