// Unit tests for profile expansion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, rootDisk } from './expand.js';

test('profiles apply in order, then the instance; devices replace whole', () => {
  const e = expand(
    [
      { config: { 'limits.cpu': '1', 'user.a': 'p1' }, devices: { root: { type: 'disk', path: '/', pool: 'default' }, d: { type: 'disk', path: '/a', source: '/x', readonly: 'true' } } },
      { config: { 'user.a': 'p2' }, devices: { d: { type: 'disk', path: '/b', source: '/y' } } },
    ],
    { config: { 'limits.cpu': '2' }, devices: {} },
  );
  assert.deepEqual(e.config, { 'limits.cpu': '2', 'user.a': 'p2' });
  assert.deepEqual(e.devices.d, { type: 'disk', path: '/b', source: '/y' });
  assert.equal(rootDisk(e.devices)?.name, 'root');
  assert.equal(rootDisk({}), undefined);
});
