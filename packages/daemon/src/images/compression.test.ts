// Unit tests for compression detection by magic bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { detectCompressionFromBytes } from './compression.js';

test('gzip, xz, squashfs and plain tar are told apart', () => {
  assert.equal(detectCompressionFromBytes(gzipSync('x'))?.ext, '.tar.gz');
  assert.equal(detectCompressionFromBytes(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))?.ext, '.tar.xz');
  assert.equal(detectCompressionFromBytes(Buffer.from('hsqs....'))?.squashfs, true);
  const tar = Buffer.alloc(512);
  tar.write('ustar', 257);
  assert.equal(detectCompressionFromBytes(tar)?.ext, '.tar');
  assert.equal(detectCompressionFromBytes(Buffer.from('hello world')), undefined);
});
