// encoding/json compatibility: struct order, omitempty, nil versus empty, HTML-safe escaping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goJson } from './gojson.js';
import { field, mapOf, struct, toGo, listOf, ptrTo } from './gotypes.js';
import { image } from './shapes.js';

test('fields come out in struct order whatever order the server used, missing ones as zero values', () => {
  const s = struct(field('b', 'string'), field('a', 'int'), field('t', 'time'));
  assert.equal(goJson(toGo(s, { t: '2026-11-21T17:24:58.469000Z', a: 3 })), '{"b":"","a":3,"t":"2026-11-21T17:24:58.469Z"}');
});

test('nil slices and maps are null, empty ones stay empty; omitempty drops them', () => {
  const s = struct(field('l', listOf('string')), field('m', mapOf('string')), field('o', ptrTo('string'), { omitempty: true }), field('e', listOf('string'), { omitempty: true }));
  assert.equal(goJson(toGo(s, { l: null, m: {}, e: [] })), '{"l":null,"m":{}}');
});

test('map keys are sorted and HTML characters escaped as Go does', () => {
  assert.equal(goJson(toGo(mapOf('string'), { z: '<a&b>', a: 'x\u2028' })), '{"a":"x\\u2028","z":"\\u003ca\\u0026b\\u003e"}');
});

test('an image keeps the ImagePut fields first and drops an absent update_source', () => {
  const out = JSON.parse(goJson(toGo(image, { fingerprint: 'abc', public: true }))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out).slice(0, 6), ['auto_update', 'properties', 'public', 'expires_at', 'profiles', 'aliases']);
  assert.equal('update_source' in out, false);
  assert.equal(out.expires_at, '0001-01-01T00:00:00Z');
});
