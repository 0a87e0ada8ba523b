// Natural ordering of table rows (fvbommel/sortorder) and lxc's empty-cells-last rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byName, naturalLess, stringList } from './natural.js';

test('digit runs compare by value, digits before other characters', () => {
  assert.equal(naturalLess('c2', 'c10'), true);
  assert.equal(naturalLess('c10', 'c2'), false);
  assert.equal(naturalLess('c02', 'c2'), false);
  assert.equal(naturalLess('c2', 'c02'), true);
  assert.equal(naturalLess('1a', 'a'), true);
  assert.equal(naturalLess('B', 'a'), true);
  assert.equal(naturalLess('ab', 'abc'), true);
});

test('rows sort by the first differing cell, empty cells last', () => {
  const rows = [['p10', 'x'], ['', 'a'], ['p2', 'y'], ['p2', '']];
  assert.deepEqual([...rows].sort(byName), [['p2', 'y'], ['p2', ''], ['p10', 'x'], ['', 'a']]);
  assert.deepEqual([['b'], ['a'], ['']].sort(stringList), [['a'], ['b'], ['']]);
});
