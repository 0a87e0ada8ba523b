// Unit tests for key-table validation of instance/profile config and devices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDevices } from './devices.js';
import { instanceSchema } from './instance.js';
import { validateConfig } from './keys.js';
import { serverSchema } from './server.js';

test('unknown keys are refused by name', () => {
  assert.throws(() => validateConfig(instanceSchema, { 'limits.bogus': '1' }), /Unknown instance configuration key: limits\.bogus/);
  assert.throws(() => validateConfig(serverSchema, { 'core.nope': 'x' }), /core\.nope/);
});

test('bad values name the key', () => {
  assert.throws(() => validateConfig(instanceSchema, { 'limits.memory': 'abc' }), /"limits\.memory"/);
  assert.throws(() => validateConfig(instanceSchema, { 'security.privileged': 'sure' }), /"security\.privileged"/);
  assert.throws(() => validateConfig(instanceSchema, { 'limits.cpu': 5 as unknown as string }), /must be a string/);
});

test('patterns accept user.*, environment.* and per-device volatile keys', () => {
  validateConfig(instanceSchema, { 'user.anything': 'x', 'environment.FOO': 'bar', 'volatile.eth0.hwaddr': '00:16:3e:00:00:01' });
  assert.throws(() => validateConfig(instanceSchema, { 'volatile.eth0.bogus': 'x' }), /Unknown/);
  assert.throws(() => validateConfig(instanceSchema, { 'user.': 'x' }), /Unknown/);
});

test('keys lodge cannot honour are refused honestly', () => {
  assert.throws(() => validateConfig(instanceSchema, { 'raw.apparmor': 'x' }), /not supported/);
});

test('devices: type, options, shape', () => {
  validateDevices({ root: { type: 'disk', path: '/', pool: 'default' }, data: { type: 'disk', source: '/srv', path: '/mnt' } });
  assert.throws(() => validateDevices({ x: { type: 'gpu' } }), /unsupported device type "gpu"/);
  assert.throws(() => validateDevices({ x: { type: 'disk', path: '/mnt', source: '/srv', bogus: '1' } }), /invalid device option "bogus"/);
  assert.throws(() => validateDevices({ x: { type: 'disk', source: '/srv' } }), /need a "path"/);
  assert.throws(() => validateDevices({ root: { type: 'disk', path: '/' } }), /needs a "pool"/);
  assert.throws(() => validateDevices({ x: { type: 'disk', path: '/mnt', source: '/srv', readonly: 'perhaps' } }), /"readonly"/);
  assert.throws(() => validateDevices({ '.x': { type: 'none' } }), /must not start/);
  assert.throws(() => validateDevices({ x: {} as Record<string, string> }), /missing device type/);
  assert.throws(
    () => validateDevices({ a: { type: 'disk', path: '/', pool: 'p' }, b: { type: 'disk', path: '/', pool: 'p' } }),
    /More than one root disk/,
  );
});
