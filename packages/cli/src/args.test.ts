// Argument parsing shared by the commands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, checkArgs, parseDeviceProps, parseKeyValues } from './args.js';

test('key=value pairs, and the legacy "key value" form', async () => {
  assert.deepEqual([...(await parseKeyValues(['a=1', 'b=x=y']))], [['a', '1'], ['b', 'x=y']]);
  assert.deepEqual([...(await parseKeyValues(['limits.cpu', '2']))], [['limits.cpu', '2']]);
  assert.deepEqual([...(await parseKeyValues(['k', '']))], [['k', '']]);
  await assert.rejects(parseKeyValues(['a=1', 'b']), /Invalid key=value configuration: b/);
});

test('a "-" value is read from stdin when a reader is given', async () => {
  assert.deepEqual([...(await parseKeyValues(['user.data=-'], async () => 'from stdin'))], [['user.data', 'from stdin']]);
  assert.deepEqual([...(await parseKeyValues(['user.data=-']))], [['user.data', '-']]);
});

test('device properties', () => {
  assert.deepEqual(parseDeviceProps(['path=/', 'pool=default']), { path: '/', pool: 'default' });
  assert.throws(() => parseDeviceProps(['path']), /No value found in "path"/);
});

test('argument counts', () => {
  assert.doesNotThrow(() => checkArgs(['a'], 1, 1));
  assert.doesNotThrow(() => checkArgs(['a', 'b', 'c'], 1, -1));
  assert.throws(() => checkArgs([], 1, 1), UsageError);
  assert.throws(() => checkArgs(['a', 'b'], 0, 1), /Invalid number of arguments/);
});
