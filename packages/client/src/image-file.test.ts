// Saving image exports: multipart split at awkward chunk boundaries, single files, fingerprint checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { headerParam, saveImageFile } from './image-file.js';

function collector(): { stream: Writable; data: () => Buffer } {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }), data: () => Buffer.concat(chunks) };
}

function response(body: Buffer, headers: Record<string, string>, chunk: number): IncomingMessage {
  const res = new PassThrough();
  for (let i = 0; i < body.length; i += chunk) res.write(body.subarray(i, i + chunk));
  res.end();
  return Object.assign(res, { headers, statusCode: 200 }) as unknown as IncomingMessage;
}

const meta = Buffer.from('metadata tarball \r\n-- not a boundary');
const rootfs = Buffer.alloc(5000, 7);
const fp = createHash('sha256').update(meta).update(rootfs).digest('hex');

function multipart(boundary: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"; filename="meta-${fp}.tar.xz"\r\n\r\n`),
    meta,
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="rootfs"; filename="${fp}.squashfs"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    rootfs,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

for (const chunk of [1, 7, 64, 100000]) {
  test(`a split image is saved part by part (chunks of ${chunk} bytes)`, async () => {
    const m = collector();
    const r = collector();
    let last = 0;
    const res = response(multipart('xyz'), { 'content-type': 'multipart/form-data; boundary=xyz' }, chunk);
    const out = await saveImageFile(res, fp.slice(0, 12), { meta: m.stream, rootfs: r.stream, onProgress: (n) => (last = n) });
    assert.deepEqual(out, { metaName: `meta-${fp}.tar.xz`, metaSize: meta.length, rootfsName: `${fp}.squashfs`, rootfsSize: rootfs.length });
    assert.deepEqual(m.data(), meta);
    assert.deepEqual(r.data(), rootfs);
    assert.equal(last, multipart('xyz').length);
  });
}

test('a unified image takes its name from Content-Disposition; a wrong hash is refused', async () => {
  const body = Buffer.from('unified image');
  const sum = createHash('sha256').update(body).digest('hex');
  const m = collector();
  const out = await saveImageFile(response(body, { 'content-disposition': `inline;filename=${sum}.tar.gz` }, 5), sum, { meta: m.stream });
  assert.equal(out.metaName, `${sum}.tar.gz`);
  assert.deepEqual(m.data(), body);
  await assert.rejects(saveImageFile(response(body, { 'content-disposition': 'inline;filename=x.tar.gz' }, 5), 'abcd', { meta: collector().stream }), /Image fingerprint doesn't match/);
  await assert.rejects(saveImageFile(response(body, {}, 5), sum, { meta: collector().stream }), /No filename in Content-Disposition/);
});

test('header parameters, quoted or not', () => {
  assert.equal(headerParam('multipart/form-data; boundary="a b"', 'boundary'), 'a b');
  assert.equal(headerParam('inline;filename=x.tar.gz', 'filename'), 'x.tar.gz');
  assert.equal(headerParam('inline', 'filename'), undefined);
});
