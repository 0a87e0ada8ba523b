// Unit tests for request body shape checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkShape } from './shape.js';
import { profilesPost, imagesPost } from './shapes.js';

test('right types and nulls pass; unknown fields are ignored as Go does', () => {
  checkShape({ name: 'p', config: { a: 'b' }, devices: { d: { type: 'disk' } }, extra: 1 }, profilesPost);
  checkShape({ name: 'p', config: null, devices: null }, profilesPost);
  checkShape({ source: { type: 'image', fingerprint: 'ab' } }, imagesPost);
});

test('wrong types name the field', () => {
  assert.throws(() => checkShape({ name: 5 }, profilesPost), /"name" must be a string/);
  assert.throws(() => checkShape({ name: 'p', config: { a: 1 } }, profilesPost), /"config" must be a map of strings/);
  assert.throws(() => checkShape({ name: 'p', devices: [] }, profilesPost), /"devices"/);
  assert.throws(() => checkShape({ name: 'p', devices: { d: { size: 5 } } }, profilesPost), /"devices"/);
  assert.throws(() => checkShape({ source: { type: 7 } }, imagesPost), /"source\.type" must be a string/);
  assert.throws(() => checkShape({ source: 'image' }, imagesPost), /source must be a JSON object/);
});
