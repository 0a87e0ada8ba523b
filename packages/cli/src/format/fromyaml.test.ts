// YAML from `edit` decoded the way yaml.v2 fills Go structs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeYaml } from './fromyaml.js';
import { imagePut, profilePut, serverPut } from './shapes.js';

test('string fields keep the spelling of plain scalars; missing fields get zero values', () => {
  const body = decodeYaml(profilePut, 'config:\n  limits.cpu: 2\n  user.v: 1.0\n  user.b: yes\n  user.e:\ndescription: hi\n');
  assert.deepEqual(body, { config: { 'limits.cpu': '2', 'user.v': '1.0', 'user.b': 'yes', 'user.e': '' }, description: 'hi', devices: null });
});

test('booleans accept YAML 1.1 words; times default to the zero time', () => {
  assert.deepEqual(decodeYaml(imagePut, 'public: yes\nproperties:\n  os: busybox\nprofiles:\n- default\n'), {
    auto_update: false,
    properties: { os: 'busybox' },
    public: true,
    expires_at: '0001-01-01T00:00:00Z',
    profiles: ['default'],
  });
  assert.throws(() => decodeYaml(imagePut, 'public: maybe\n'), /cannot unmarshal !!str `maybe` into bool/);
});

test('interface{} values keep their YAML types; syntax errors are reported', () => {
  assert.deepEqual(decodeYaml(serverPut, 'config:\n  images.remote_cache_expiry: 3\n  core.https_address: "[::]:8443"\n'), {
    config: { 'images.remote_cache_expiry': 3, 'core.https_address': '[::]:8443' },
  });
  assert.throws(() => decodeYaml(profilePut, 'config: [unclosed\n'), /^Error: yaml: /);
  assert.throws(() => decodeYaml(profilePut, 'config: [a, b]\n'), /cannot unmarshal !!seq into a map/);
});
