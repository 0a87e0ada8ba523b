// Client helpers for instances: lxc's filter query and the Go client's %04o modes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterQuery, octalMode } from './instances.js';

test('filters become "key eq value" joined with "and"; non key=value filters are left out', () => {
  assert.equal(filterQuery([]), '');
  assert.equal(filterQuery(['status=running', 'web', 'type=container']), 'status eq running and type eq container');
  assert.equal(filterQuery(['description=a=b']), 'description eq a=b');
});

test('modes are four octal digits', () => {
  assert.equal(octalMode(0o644), '0644');
  assert.equal(octalMode(0o4755), '4755');
  assert.equal(octalMode(0o100600), '0600');
});
