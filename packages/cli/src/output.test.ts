// The table, compact and csv renderers against lxc's own output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayWidth, headerTitle, renderCompact, renderCsv, renderList, renderTable } from './output.js';
import { listOf } from './format/gotypes.js';
import { imageAliasesEntry } from './format/shapes.js';

test('tables match lxc byte for byte: centred headers, rules between rows, multi-line cells', () => {
  const header = ['ALIAS', 'ALIASES', 'PUBLIC'];
  const rows = [
    ['bb', 'bb', 'no'],
    ['sp2 (1 more)', 'sp2\nsplit', 'yes'],
  ];
  const expected = [
    '+--------------+---------+--------+',
    '|    ALIAS     | ALIASES | PUBLIC |',
    '+--------------+---------+--------+',
    '| bb           | bb      | no     |',
    '+--------------+---------+--------+',
    '| sp2 (1 more) | sp2     | yes    |',
    '|              | split   |        |',
    '+--------------+---------+--------+',
    '',
  ].join('\n');
  assert.equal(renderTable(header, rows), expected);
});

test('an empty table is just the header', () => {
  assert.equal(renderTable(['NAME', 'USED BY'], []), '+------+---------+\n| NAME | USED BY |\n+------+---------+\n');
});

test('compact drops borders and separators', () => {
  assert.equal(renderCompact(['NAME', 'X'], [['a', 'bb']]), '  NAME  X   \n  a     bb  \n');
});

test('csv quotes like encoding/csv', () => {
  assert.equal(renderCsv([['a', 'b,c', 'say "hi"', ' lead', 'Nov 21, 2026'], ['x\ny', '', 'plain']]), 'a,"b,c","say ""hi"""," lead","Nov 21, 2026"\n"x\ny",,plain\n');
});

test('header titles and display width', () => {
  assert.equal(headerTitle('used_by'), 'USED BY');
  assert.equal(headerTitle('v1.0'), 'V1.0');
  assert.equal(displayWidth('\x1b[31mred\x1b[0m'), 3);
  assert.equal(displayWidth('日本'), 4);
});

test('json and yaml render the raw objects; unknown formats are refused', () => {
  const raw = [{ name: 'a', target: 'f', description: '', type: 'container' }];
  assert.equal(renderList('json', [], [], raw, listOf(imageAliasesEntry)), '[{"description":"","target":"f","name":"a","type":"container"}]\n');
  assert.equal(renderList('yaml', [], [], raw, listOf(imageAliasesEntry)), '- description: ""\n  target: f\n  name: a\n  type: container\n');
  assert.throws(() => renderList('xml', [], [], raw, listOf(imageAliasesEntry)), /Invalid format "xml"/);
});
