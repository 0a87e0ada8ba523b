// Unit tests for the path router.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from './router.js';
import type { Endpoint } from './types.js';

const ep = (path: string): Endpoint => ({ path });

test('literal segments win over parameters and parameters are decoded', () => {
  const r = new Router([ep('/1.0/images/{fingerprint}'), ep('/1.0/images/aliases'), ep('/1.0/images/aliases/{name}'), ep('/1.0')]);
  assert.equal(r.match('/1.0/images/aliases')?.endpoint.path, '/1.0/images/aliases');
  assert.equal(r.match('/1.0/images/abc')?.params.fingerprint, 'abc');
  assert.equal(r.match('/1.0/images/aliases/debian%2F12')?.params.name, 'debian/12');
  assert.equal(r.match('/1.0')?.endpoint.path, '/1.0');
  assert.equal(r.match('/1.0/')?.endpoint.path, '/1.0');
  assert.equal(r.match('/2.0'), undefined);
  assert.equal(r.match('/1.0/images/a/b'), undefined);
  assert.equal(r.match('/1.0/images/%E0%A4%A'), undefined);
});
