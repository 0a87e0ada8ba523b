// Pure logic of the lodge-helper wrapper: running the helper and its errors.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import { FileError, helperPath, parseFileError } from './helper.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

test('helperPath: LODGE_HELPER wins, else native/build beside the compiled daemon', () => {
  assert.equal(helperPath(env), '/opt/lodge-helper');
  assert.match(helperPath({}), /\/packages\/daemon\/native\/build\/lodge-helper$/);
});

test('parseFileError: the JSON line gives message, errno, code and HTTP status', () => {
  const e = parseFileError('{"error":"lstat /nope: No such file or directory","errno":2}\n', 1);
  assert.ok(e instanceof FileError);
  assert.equal(e.message, 'lstat /nope: No such file or directory');
  assert.equal(e.errno, constants.errno.ENOENT);
  assert.equal(e.code, 'ENOENT');
  assert.equal(e.status, 404);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EACCES}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EPERM}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EROFS}}`, 1).status, 403);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EINVAL}}`, 1).status, 400);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EEXIST}}`, 1).status, 500);
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.ENOTEMPTY}}`, 1).code, 'ENOTEMPTY');
  assert.equal(parseFileError(`{"error":"x","errno":${constants.errno.EAGAIN}}`, 1).code, 'EAGAIN');
});

test('parseFileError: anything else still becomes a FileError (500) with the text', () => {
  const e = parseFileError('Segmentation fault\n', null, 'SIGSEGV');
  assert.equal(e.errno, 0);
  assert.equal(e.status, 500);
  assert.match(e.message, /killed by SIGSEGV\): Segmentation fault/);
  assert.match(parseFileError('', 3).message, /exit 3/);
  assert.equal(parseFileError('noise\n{"error":"last wins","errno":2}\n', 1).message, 'last wins');
});
