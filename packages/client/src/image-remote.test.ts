// Downloads from image servers: sha256 checks, pinned certificates, redirects, progress text, simplestreams fetch and cache.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { byteSizeString, downloadVerified, ProgressText } from './image-remote.js';
import { SimpleStreamsClient } from './simplestreams-client.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const meta = Buffer.from('metadata bytes '.repeat(1000));
const root = Buffer.alloc(300_000, 7);
const files: Record<string, Buffer | string> = {
  '/file': meta,
  '/images/v1/lxd.tar.xz': meta,
  '/images/v1/rootfs.squashfs': root,
};

function tree(): void {
  const products = {
    products: {
      'bb:1:amd64': {
        aliases: 'bb',
        arch: 'amd64',
        os: 'Busybox',
        release: '1',
        versions: {
          '20240101': {
            items: {
              m: { ftype: 'lxd.tar.xz', path: 'images/v1/lxd.tar.xz', size: meta.length, sha256: sha(meta), combined_squashfs_sha256: sha(Buffer.concat([meta, root])) },
              r: { ftype: 'squashfs', path: 'images/v1/rootfs.squashfs', size: root.length, sha256: sha(root) },
            },
          },
        },
      },
    },
  };
  files['/streams/v1/index.json'] = JSON.stringify({ index: { images: { datatype: 'image-downloads', path: 'streams/v1/images.json', products: ['bb:1:amd64'] } } });
  files['/streams/v1/images.json'] = JSON.stringify(products);
}

let server: Server;
let base = '';
let cert = '';
let dir = '';
const hits = new Map<string, number>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lodge-dl-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=test', '-addext', 'subjectAltName=DNS:test'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'c'), 'utf8');
  tree();
  server = createServer({ cert, key: readFileSync(join(dir, 'k')) }, (req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/redirect') return void res.writeHead(302, { Location: '/file' }).end();
    const body = files[path];
    if (body === undefined) return void res.writeHead(404).end('no');
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function sink(): { out: Writable; data: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    out: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    data: () => Buffer.concat(chunks),
  };
}

test('a download with the right sha256 is kept, with progress text; a pinned certificate is trusted whatever its name', async () => {
  const s = sink();
  const progress: string[] = [];
  const r = await downloadVerified(`${base}/file`, s.out, { ca: cert, sha256: sha(meta), label: 'metadata', onProgress: (t) => progress.push(t) });
  assert.equal(r.size, meta.length);
  assert.equal(r.sha256, sha(meta));
  assert.deepEqual(s.data(), meta);
  assert.match(progress[0]!, /^metadata: 0% \(\d+(\.\d\d)?[kMG]?B\/s\)$/);
  assert.match(progress.at(-1)!, /^metadata: 100% \(\d+(\.\d\d)?[kMG]?B\/s\)$/);
});

test('a wrong sha256, an untrusted certificate, a missing file: all refused; redirects are followed', async () => {
  await assert.rejects(downloadVerified(`${base}/file`, sink().out, { ca: cert, sha256: sha('other') }), /Hash mismatch/);
  await assert.rejects(downloadVerified(`${base}/file`, sink().out, {}), /self.signed|certificate/i);
  await assert.rejects(downloadVerified(`${base}/nope`, sink().out, { ca: cert }), /Unable to fetch .*404/);
  const s = sink();
  await downloadVerified(`${base}/redirect`, s.out, { ca: cert, sha256: sha(meta) });
  assert.deepEqual(s.data(), meta);
  await assert.rejects(downloadVerified('http://127.0.0.1:1/x', sink().out), /Only https/);
});

test('simplestreams client: catalogue cached for maxAge, files checked one by one, combined fingerprint returned', async () => {
  const c = new SimpleStreamsClient(base, { certificate: cert, nativeArchitecture: 'x86_64' });
  const cat = await c.catalog();
  const fp = cat.getAlias('container', 'bb').target;
  assert.equal(fp, sha(Buffer.concat([meta, root])));
  await c.catalog();
  assert.equal(c.fetches, 1, 'the second look-up is served from the cache');
  await c.catalog({ maxAgeMs: 0 });
  assert.equal(c.fetches, 2);
  const m = sink();
  const r = sink();
  const texts: string[] = [];
  const got = await c.download(fp.slice(0, 12), { meta: m.out, rootfs: r.out }, { onProgress: (t) => texts.push(t) });
  assert.equal(got.fingerprint, fp);
  assert.deepEqual([got.metaSize, got.rootfsSize, got.metaName, got.rootfsName], [meta.length, root.length, 'lxd.tar.xz', 'rootfs.squashfs']);
  assert.deepEqual(r.data(), root);
  assert.ok(texts.some((t) => t.startsWith('metadata: ')) && texts.some((t) => t.startsWith('rootfs: 100%')));

  // A corrupted rootfs on the server is refused (the index still has the old hash).
  files['/images/v1/rootfs.squashfs'] = Buffer.alloc(root.length, 8);
  await assert.rejects(c.download(fp, { meta: sink().out, rootfs: sink().out }), /Hash mismatch/);
  files['/images/v1/rootfs.squashfs'] = root;

  // The index unavailable: a catalogue read before still answers (as LXD falls back to its cache); a new client fails.
  const index = files['/streams/v1/index.json']!;
  delete files['/streams/v1/index.json'];
  assert.equal((await c.catalog({ maxAgeMs: 0 })).getAlias('container', 'bb').target, fp);
  await assert.rejects(new SimpleStreamsClient(base, { certificate: cert, nativeArchitecture: 'x86_64' }).catalog(), /Unable to fetch .*index.json: 404/);
  files['/streams/v1/index.json'] = index;
});

test('progress text and sizes as LXD prints them', () => {
  assert.equal(byteSizeString(999), '999B');
  assert.equal(byteSizeString(1000), '1.00kB');
  assert.equal(byteSizeString(12_345_678), '12.35MB');
  const out: string[] = [];
  const p = new ProgressText((t) => out.push(t), 'rootfs');
  p.update(0, 100);
  p.update(50, 100);
  p.update(100, 100, true);
  assert.equal(out.length, 2, 'updates closer than 250 ms are dropped, the final one is kept');
  assert.match(out[1]!, /^rootfs: 100% \(/);
  const q: string[] = [];
  new ProgressText((t) => q.push(t)).update(2_000_000, 0, true);
  assert.match(q[0]!, /^2\.00MB \(/);
});
