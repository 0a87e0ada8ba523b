// Image servers end to end: a simplestreams tree served over HTTPS on 127.0.0.1 (test CA), used by the real lxc
// client through lodged: launch with caching, image copy, expiry, auto-update and refresh, bad hashes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Event, Image, Operation } from '@lodge/api';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { startLxd } from '../helpers/lxd.js';
import { newerMetadata, startSimpleStreams, type SimpleStreamsServer } from '../helpers/simplestreams.js';
import { waitFor } from '../helpers/wait.js';
import { tmpDir } from '../helpers/tmp.js';

interface Setup {
  d: TestDaemon;
  server: SimpleStreamsServer;
  /** Environment for lxc: it resolves simplestreams aliases itself for image copy, so it trusts the test CA too. */
  env: NodeJS.ProcessEnv;
  v1: string;
}

async function setup(t: TestContext, opts: { badRootfsSha?: boolean } = {}): Promise<Setup> {
  const img = await busyboxImage();
  const { ca, server } = await startSimpleStreams(t);
  const { fingerprint } = await server.publish({ serial: '20240101_00:00', meta: img.meta, rootfs: img.rootfs, badRootfsSha: opts.badRootfsSha });
  const d = await startDaemon(t, { env: { NODE_EXTRA_CA_CERTS: ca.caFile } });
  const env = { SSL_CERT_FILE: ca.caFile };
  await d.lxc(['remote', 'add', 'ss', server.url, '--protocol', 'simplestreams', '--public'], { env });
  return { d, server, env, v1: fingerprint };
}

async function images(d: TestDaemon, project = 'default'): Promise<Image[]> {
  return d.client.useProject(project).get<Image[]>('/1.0/images?recursion=1');
}

test('launch from a simplestreams server: the image is downloaded once, cached, and reused', async (t) => {
  const { d, server, env, v1 } = await setup(t);
  await d.lxc(['launch', 'ss:busybox', 'c1'], { env });
  assert.equal((await d.lxc(['exec', 'c1', '--', 'hostname'])).stdout.trim(), 'c1');
  const [img, ...more] = await images(d);
  assert.equal(more.length, 0);
  assert.equal(img!.fingerprint, v1);
  assert.equal(img!.cached, true);
  assert.equal(img!.public, false);
  assert.equal(img!.auto_update, true, 'images.auto_update_cached defaults to true for images requested by alias');
  assert.deepEqual(img!.update_source, { alias: 'busybox', certificate: '', protocol: 'simplestreams', server: server.url, image_type: '' });
  assert.equal(img!.properties.os, 'Busybox');
  assert.equal(img!.properties.serial, '20240101_00:00');
  assert.equal(img!.properties.description, `Busybox test ${img!.properties.architecture} (20240101_00:00)`);
  assert.equal(img!.created_at, '2024-01-01T00:00:00Z');
  assert.notEqual(img!.last_used_at, '0001-01-01T00:00:00Z');
  assert.equal(server.fileDownloads, 2, 'metadata and rootfs downloaded once each');
  const instance = await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1');
  assert.equal(instance.config['volatile.base_image'], v1);
  assert.equal(instance.config['image.serial'], '20240101_00:00');

  // Second launch, by the same alias and by the arch-qualified one: the cache serves both.
  await new Promise((r) => setTimeout(r, 20));
  await d.lxc(['launch', 'ss:busybox', 'c2'], { env });
  assert.ok(Date.parse((await images(d))[0]!.last_used_at) > Date.parse(img!.last_used_at), 'last_used_at moves on with each use');
  await d.lxc(['init', `ss:busybox/test/${img!.properties.architecture}`, 'c3'], { env });
  assert.equal(server.fileDownloads, 2, 'no second download');
  assert.equal((await images(d)).length, 1);
  const files = (await readdir(join(d.dir, 'images'))).sort();
  assert.deepEqual(files, [v1, `${v1}.rootfs`]);
});

test('image copy from simplestreams, with download progress in the operation and aliases', async (t) => {
  const { d, server, env, v1 } = await setup(t);
  await d.lxc(['image', 'copy', 'ss:busybox', 'local:', '--alias', 'x'], { env });
  const img = await d.client.images.resolve('x');
  assert.equal(img.fingerprint, v1);
  assert.equal(img.cached, false);
  assert.deepEqual(img.aliases.map((a) => a.name), ['x']);
  assert.equal(img.update_source?.alias, 'busybox');
  assert.equal(img.update_source?.server, server.url);
  assert.equal((await d.client.images.alias('x')).target, v1);
  await d.lxc(['launch', 'x', 'c1']);
  await d.lxc(['image', 'delete', 'x']);

  // Through the API: progress strings as LXD writes them, aliases from the request, by fingerprint (no source kept).
  const seen: string[] = [];
  const op = await d.client.operation('POST', '/1.0/images', { source: { type: 'image', mode: 'pull', server: server.url, protocol: 'simplestreams', fingerprint: v1.slice(0, 12) }, aliases: [{ name: 'y', description: 'why' }], public: true });
  op.onUpdate((o: Operation) => {
    const p = o.metadata?.download_progress;
    if (typeof p === 'string') seen.push(p);
  });
  const done = await op.wait();
  assert.equal(done.metadata?.fingerprint, v1);
  assert.ok(seen.some((s) => /^metadata: \d+% \(\d+(\.\d+)?[kMG]?B\/s\)$/.test(s)), `metadata progress: ${seen.join(' | ')}`);
  assert.ok(seen.some((s) => /^rootfs: 100% \(\d+(\.\d+)?[kMG]?B\/s\)$/.test(s)), `rootfs progress: ${seen.join(' | ')}`);
  const y = (await images(d))[0]!;
  assert.equal(y.public, true);
  assert.deepEqual(y.aliases, [{ name: 'y', description: 'why' }]);
  assert.equal(y.update_source, undefined, 'copied by fingerprint: nothing to follow');
  assert.equal(y.auto_update, false);
  // An alias that exists already fails the copy, like LXD.
  await d.lxc(['image', 'delete', 'y']);
  await d.client.images.createAlias('taken', (await d.client.images.import({ metaFile: (await busyboxImage()).unified }).then((o) => o.wait())).metadata?.fingerprint as string);
  const clash = await d.client
    .operation('POST', '/1.0/images', { source: { type: 'image', server: server.url, protocol: 'simplestreams', alias: 'busybox' }, aliases: [{ name: 'taken' }] })
    .then((o) => o.wait())
    .catch((e: Error) => e);
  assert.match(String(clash), /Alias "taken" already exists/);
});

test('cached images unused for images.remote_cache_expiry are removed; projects can keep theirs', async (t) => {
  const { d, env, v1 } = await setup(t);
  await d.lxc(['image', 'import', (await busyboxImage()).unified, '--alias', 'local-bb']);
  await d.lxc(['project', 'create', 'keep', '-c', 'features.images=true', '-c', 'features.profiles=false', '-c', 'images.remote_cache_expiry=0', '-c', 'images.auto_update_cached=false']);
  await d.lxc(['init', 'ss:busybox', 'c1'], { env });
  await d.lxc(['init', 'ss:busybox', 'k1', '--project', 'keep'], { env });
  const kept = (await images(d, 'keep'))[0]!;
  assert.equal(kept.cached, true);
  assert.equal(kept.auto_update, false, 'the project turned images.auto_update_cached off');
  await d.lxc(['delete', 'c1']);
  await d.lxc(['delete', 'k1', '--project', 'keep']);
  assert.ok((await images(d)).some((i) => i.fingerprint === v1 && i.cached));
  // 0.00003 days is about 2.6 s: the daily pass runs at least that often when the expiry is shorter than a day.
  await d.lxc(['config', 'set', 'images.remote_cache_expiry', '0.00003']);
  await waitFor('the cached image to expire', async () => ((await images(d)).some((i) => i.fingerprint === v1) ? undefined : true));
  assert.deepEqual((await images(d)).map((i) => i.aliases[0]?.name), ['local-bb'], 'uploaded images never expire here');
  assert.equal((await images(d, 'keep')).length, 1, 'the project override (0) keeps its cached image');
  // The files stay while another project has the image; they go with its last record.
  assert.ok((await readdir(join(d.dir, 'images'))).includes(v1));
  await d.lxc(['project', 'unset', 'keep', 'images.remote_cache_expiry']);
  await waitFor('the other project’s image to expire', async () => ((await images(d, 'keep')).length === 0 ? true : undefined));
  // The record goes first (a crash then leaves only unreferenced files, swept at start); the files right after.
  await waitFor('the image files to go', async () => ((await readdir(join(d.dir, 'images'))).some((f) => f.startsWith(v1)) ? undefined : true));
});

test('auto-update and refresh: a newer version on the server replaces the image and takes its aliases', async (t) => {
  const { d, server, env, v1 } = await setup(t);
  const img = await busyboxImage();
  const dir = await tmpDir(t, 'lodge-imgsrv-');
  await d.lxc(['image', 'copy', 'ss:busybox', 'local:', '--alias', 'bb', '--auto-update'], { env });
  assert.equal((await d.client.images.resolve('bb')).auto_update, true);
  const events = await d.client.events();
  const refreshed: string[] = [];
  events.on((e: Event) => {
    const md = e.metadata as { action?: string; source?: string };
    if (e.type === 'lifecycle' && md.action === 'image-refreshed') refreshed.push(md.source ?? '');
  });

  // By hand: lxc image refresh reads the index again.
  const nothing = await d.lxc(['image', 'refresh', 'bb']);
  assert.match(nothing.stdout, /Image already up to date/);
  const { fingerprint: v2 } = await server.publish({ serial: '20240102_00:00', meta: await newerMetadata(img.meta, dir, 1), rootfs: img.rootfs });
  assert.notEqual(v2, v1);
  const out = await d.lxc(['image', 'refresh', 'bb']);
  assert.match(out.stdout, /Image refreshed successfully/);
  let list = await images(d);
  assert.deepEqual(list.map((i) => i.fingerprint), [v2]);
  assert.deepEqual(list[0]!.aliases.map((a) => a.name), ['bb']);
  assert.equal(list[0]!.auto_update, true);
  assert.equal(list[0]!.properties.serial, '20240102_00:00');
  await waitFor('the image-refreshed event', async () => (refreshed.includes(`/1.0/images/${v1}`) ? true : undefined), 5000);

  // Periodically: a cached image with auto_update follows too, every images.auto_update_interval hours.
  await d.lxc(['launch', 'ss:busybox', 'c1'], { env });
  const { fingerprint: v3 } = await server.publish({ serial: '20240103_00:00', meta: await newerMetadata(img.meta, dir, 2), rootfs: img.rootfs });
  await d.lxc(['config', 'set', 'images.auto_update_interval', '0.0005']);
  list = await waitFor('the periodic refresh', async () => {
    const l = await images(d);
    return l.length === 1 && l[0]!.fingerprint === v3 ? l : undefined;
  });
  assert.deepEqual(list[0]!.aliases.map((a) => a.name), ['bb']);
  assert.equal(list[0]!.cached, false, 'the copied image keeps its (uncached) state');
  // The record goes before the files (see above), so the files may outlive the list by a moment.
  await waitFor('the old image files to go', async () => ((await readdir(join(d.dir, 'images'))).some((f) => f.startsWith(v2)) ? undefined : true));
  assert.equal((await d.lxc(['exec', 'c1', '--', 'hostname'])).stdout.trim(), 'c1', 'instances are not affected');
  await d.lxc(['config', 'set', 'images.auto_update_interval', '0']);
});

test('a download whose sha256 does not match fails and leaves nothing behind', async (t) => {
  const { d, server, env } = await setup(t, { badRootfsSha: true });
  const r = await d.lxc(['launch', 'ss:busybox', 'c1'], { env, allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Hash mismatch|sha256/i);
  assert.deepEqual(await images(d), []);
  assert.deepEqual(await d.client.get('/1.0/instances'), []);
  assert.deepEqual((await readdir(join(d.dir, 'images'))).sort(), []);
  const copy = await d.lxc(['image', 'copy', 'ss:busybox', 'local:'], { env, allowFail: true });
  assert.notEqual(copy.code, 0);
  assert.deepEqual(await images(d), []);
  assert.ok(server.fileDownloads >= 2);
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function sha256(...files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex');
}

test('LXD protocol with a real LXD 5.0.2: launch and copy its public and private images, relay, and push ours to it', async (t) => {
  const img = await busyboxImage();
  const dir = await tmpDir(t, 'lodge-imgsrv-');
  const lxd = await startLxd(t);
  const url = `https://127.0.0.1:${await freePort()}`;
  await lxd.lxc(['config', 'set', 'core.https_address', url.slice('https://'.length)]);
  await lxd.lxc(['config', 'set', 'core.trust_password', 'sekret']);
  await lxd.lxc(['image', 'import', img.meta, img.rootfs, '--alias', 'bb', '--public']);
  await lxd.lxc(['image', 'import', img.unified, '--alias', 'priv']);
  const splitFp = await sha256(img.meta, img.rootfs);
  const unifiedFp = await sha256(img.unified);
  const lxdCert = (await readFile(join(lxd.dir, 'server.crt'), 'utf8')).trim();

  const d = await startDaemon(t);
  await d.lxc(['remote', 'add', 'lxdpub', url, '--accept-certificate', '--public']);
  await d.lxc(['remote', 'add', 'lxd', url, '--accept-certificate', '--password', 'sekret']);

  // launch lxdpub:bb: lxc resolves the alias on LXD, lodged downloads the public image (pinned to LXD's certificate).
  await d.lxc(['launch', 'lxdpub:bb', 'c1']);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'hostname'])).stdout.trim(), 'c1');
  const [cached] = await images(d);
  assert.equal(cached!.fingerprint, splitFp);
  assert.equal(cached!.cached, true);
  assert.equal(cached!.update_source?.protocol, 'lxd');
  assert.equal(cached!.update_source?.server, url);
  assert.equal(cached!.update_source?.alias, 'bb');
  assert.equal(cached!.update_source?.certificate.trim(), lxdCert);
  await d.lxc(['delete', '--force', 'c1']);
  await d.lxc(['image', 'delete', splitFp]);

  // image copy of a public image (pull), then of a private one: lxc asks LXD for a one-time secret.
  await d.lxc(['image', 'copy', 'lxdpub:bb', 'local:', '--alias', 'from-lxd']);
  assert.equal((await d.client.images.resolve('from-lxd')).fingerprint, splitFp);
  await d.lxc(['image', 'copy', 'lxd:priv', 'local:', '--alias', 'private-copy']);
  const priv = await d.client.images.resolve('private-copy');
  assert.equal(priv.fingerprint, unifiedFp);
  assert.equal(priv.update_source, undefined, 'fetched with a secret: no alias to follow');
  const lxdOps = JSON.parse((await lxd.lxc(['operation', 'list', '--format', 'json'])).stdout) as { class: string; status: string }[];
  assert.ok(!lxdOps.some((o) => o.class === 'token' && o.status === 'Running'), 'the secret was used up');
  await d.lxc(['launch', 'private-copy', 'c2']);

  // Relay through the client.
  await d.lxc(['image', 'delete', 'private-copy']);
  await d.lxc(['image', 'copy', 'lxd:priv', 'local:', '--mode', 'relay', '--alias', 'relayed']);
  assert.equal((await d.client.images.resolve('relayed')).fingerprint, unifiedFp);
  // launch of a private image: lxc gets a secret from LXD and gives it to lodged with the fingerprint.
  await d.lxc(['image', 'delete', 'relayed']);
  await d.lxc(['launch', 'lxd:priv', 'c3']);
  const viaSecret = (await images(d)).find((i) => i.fingerprint === unifiedFp)!;
  assert.equal(viaSecret.cached, true);
  assert.equal(viaSecret.auto_update, false, 'by fingerprint: nothing to follow');

  // Push ours to LXD: LXD gives lxc a push token, lodged uploads into it as an untrusted client.
  const mine = await newerMetadata(img.meta, dir, 7);
  await d.lxc(['image', 'import', mine, img.rootfs, '--alias', 'mine']);
  const mineFp = await sha256(mine, img.rootfs);
  await d.lxc(['image', 'copy', 'local:mine', 'lxd:', '--mode', 'push', '--alias', 'pushed-here']);
  const onLxd = JSON.parse((await lxd.lxc(['image', 'list', '--format', 'json'])).stdout) as { fingerprint: string; aliases: { name: string }[] }[];
  assert.deepEqual(onLxd.find((i) => i.fingerprint === mineFp)?.aliases.map((a) => a.name), ['pushed-here']);
  await lxd.lxc(['launch', 'pushed-here', 'on-lxd']);
  assert.match((await lxd.lxc(['exec', 'on-lxd', '--', 'cat', '/etc/hostname'])).stdout, /on-lxd/);

  // Relay ours to LXD.
  const mine2 = await newerMetadata(img.meta, dir, 8);
  await d.lxc(['image', 'import', mine2, img.rootfs, '--alias', 'mine2']);
  await d.lxc(['image', 'copy', 'local:mine2', 'lxd:', '--mode', 'relay', '--alias', 'relayed-here']);
  assert.equal((await lxd.lxc(['image', 'info', 'relayed-here'])).code, 0);
});

test('image secrets and push tokens on lodged: one use spends a secret, a push token applies its aliases', async (t) => {
  const img = await busyboxImage();
  const d = await (await startDaemon(t)).withBusybox();
  const fp = (await d.client.images.resolve('busybox')).fingerprint;
  const tokenOp = await d.client.query<Operation>('POST', `/1.0/images/${fp.slice(0, 10)}/secret`);
  const token = tokenOp.metadata;
  assert.equal(tokenOp.status, 202);
  assert.equal(token.class, 'token');
  assert.equal(token.description, 'Image download token');
  assert.deepEqual(token.resources, { images: [`/1.0/images/${fp}`] });
  const secret = token.metadata?.secret as string;
  assert.match(secret, /^[0-9a-f]{64}$/);
  assert.equal((await d.client.get<Operation>(`/1.0/operations/${token.id}`)).status, 'Running');
  // Using it (here with a trusted caller, which LXD also counts as a use) cancels it; it keeps working for a moment.
  await d.client.get(`/1.0/images/${fp}?secret=${secret}`);
  assert.equal((await d.client.get<Operation>(`/1.0/operations/${token.id}`)).status, 'Cancelled');
  const res = await d.client.raw('GET', `/1.0/images/${fp}/export?secret=${secret}`);
  res.resume();
  assert.equal(res.statusCode, 200);

  // Push token: what an untrusted server uploads into (lxc image copy --mode push to lodged).
  const mine = await newerMetadata(img.meta, await tmpDir(t, 'lodge-imgsrv-'), 9);
  const mineFp = await sha256(mine, img.rootfs);
  const push = (await d.client.query<Operation>('POST', '/1.0/images', { source: { mode: 'push', fingerprint: mineFp }, aliases: [{ name: 'pushed', description: 'by push' }], public: true, properties: { os: 'Pushed' } })).metadata;
  assert.equal(push.class, 'token');
  assert.deepEqual(Object.keys(push.metadata ?? {}).sort(), ['aliases', 'expires_at', 'properties', 'public', 'secret']);
  const wrong = await d.client.images.upload({ metaFile: img.meta, rootfsFile: img.rootfs, headers: { 'X-LXD-fingerprint': mineFp, 'X-LXD-secret': push.metadata?.secret as string } });
  // The wrong files: the fingerprint check fails the upload (and spends the token).
  const failed = await d.client.get<Operation>(`/1.0/operations/${wrong.id}/wait?timeout=10`);
  assert.match(failed.err, /fingerprints don't match/);
  const push2 = (await d.client.query<Operation>('POST', '/1.0/images', { source: { mode: 'push', fingerprint: mineFp }, aliases: [{ name: 'pushed', description: 'by push' }], public: true, properties: { os: 'Pushed' } })).metadata;
  const up = await d.client.images.upload({ metaFile: mine, rootfsFile: img.rootfs, headers: { 'X-LXD-fingerprint': mineFp, 'X-LXD-secret': push2.metadata?.secret as string } });
  assert.match(up.metadata?.secret as string, /^[0-9a-f]{64}$/, 'the upload has its own secret to wait with');
  const ok = await d.client.get<Operation>(`/1.0/operations/${up.id}/wait?timeout=30&secret=${up.metadata?.secret as string}`);
  assert.equal(ok.status, 'Success', ok.err);
  const pushed = await d.client.images.resolve('pushed');
  assert.equal(pushed.fingerprint, mineFp);
  assert.equal(pushed.public, true);
  assert.equal(pushed.properties.os, 'Pushed');
  assert.deepEqual(pushed.aliases, [{ name: 'pushed', description: 'by push' }]);
  assert.equal((await d.client.get<Operation>(`/1.0/operations/${push2.id}`)).status, 'Cancelled');
});

/** True once something accepts TLS connections on the port. */
function tlsListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** lodged serving images over HTTPS: the check runs before anything else, so the test skips itself (with its reason) where there is no listener. */
async function httpsLodged(t: TestContext): Promise<{ a: TestDaemon; url: string } | undefined> {
  const a = await (await startDaemon(t)).withBusybox();
  const port = await freePort();
  const set = await a.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${port}`], { allowFail: true });
  if (set.code !== 0 || !(await waitFor('the HTTPS listener', async () => ((await tlsListening(port)) ? true : undefined), 3000).catch(() => false))) {
    t.skip('lodged does not listen on core.https_address in this build');
    return undefined;
  }
  await a.lxc(['config', 'set', 'core.trust_password', 'sekret']);
  return { a, url: `https://127.0.0.1:${port}` };
}

test('lodged as an LXD-protocol image server over HTTPS for another lodged (needs the core.https_address listener)', async (t) => {
  const served = await httpsLodged(t);
  if (!served) return;
  const { a, url } = served;
  const img = await busyboxImage();
  const dir = await tmpDir(t, 'lodge-imgsrv-');
  const fp = (await a.client.images.resolve('busybox')).fingerprint;
  const bb = await a.client.images.get(fp);
  await a.client.images.update(fp, { ...bb.image, public: true }, bb.etag);
  const priv = await newerMetadata(img.meta, dir, 11);
  await a.lxc(['image', 'import', priv, img.rootfs, '--alias', 'priv']);
  const privFp = await sha256(priv, img.rootfs);

  const b = await startDaemon(t);
  await b.lxc(['remote', 'add', 'apub', url, '--accept-certificate', '--public']);
  // Untrusted, lxc sees neither the private image nor its alias.
  const denied = await b.lxc(['image', 'copy', 'apub:priv', 'local:'], { allowFail: true });
  assert.notEqual(denied.code, 0);
  // Public: launch and copy by alias.
  await b.lxc(['launch', 'apub:busybox', 'c1']);
  const [cached] = await images(b);
  assert.equal(cached!.fingerprint, fp);
  assert.equal(cached!.cached, true);
  assert.equal(cached!.update_source?.certificate.trim(), (await readFile(join(a.dir, 'server.crt'), 'utf8')).trim());
  // Private: with a secret, which lxc gets once its certificate is trusted (the password); lodged b uses it untrusted.
  await b.lxc(['remote', 'add', 'a', url, '--accept-certificate', '--password', 'sekret']);
  await b.lxc(['image', 'copy', 'a:priv', 'local:', '--alias', 'p']);
  assert.equal((await b.client.images.resolve('p')).fingerprint, privFp);
  // Push from b into a's push token (a is the HTTPS target, b the source over its unix socket).
  const mine = await newerMetadata(img.meta, dir, 12);
  await b.lxc(['image', 'import', mine, img.rootfs, '--alias', 'mine']);
  await b.lxc(['image', 'copy', 'local:mine', 'a:', '--mode', 'push', '--alias', 'from-b']);
  assert.equal((await a.client.images.resolve('from-b')).fingerprint, await sha256(mine, img.rootfs));
});

test('a real LXD 5.0.2 pulls, launches and pushes images with lodged over HTTPS (needs the core.https_address listener)', async (t) => {
  const served = await httpsLodged(t);
  if (!served) return;
  const { a, url } = served;
  const img = await busyboxImage();
  const fp = (await a.client.images.resolve('busybox')).fingerprint;
  const bb = await a.client.images.get(fp);
  await a.client.images.update(fp, { ...bb.image, public: true }, bb.etag);
  const lxd = await startLxd(t);
  await lxd.lxc(['remote', 'add', 'lodgepub', url, '--accept-certificate', '--public']);
  await lxd.lxc(['remote', 'add', 'lodge', url, '--accept-certificate', '--password', 'sekret']);
  await lxd.lxc(['launch', 'lodgepub:busybox', 'from-lodge']);
  assert.match((await lxd.lxc(['exec', 'from-lodge', '--', 'cat', '/etc/hostname'])).stdout, /from-lodge/);
  const onLxd = JSON.parse((await lxd.lxc(['image', 'list', '--format', 'json'])).stdout) as { fingerprint: string; cached: boolean }[];
  assert.ok(onLxd.some((i) => i.fingerprint === fp && i.cached));
  // LXD pushes into lodged's push token.
  const dir = await tmpDir(t, 'lodge-imgsrv-');
  const mine = await newerMetadata(img.meta, dir, 13);
  await lxd.lxc(['image', 'import', mine, img.rootfs, '--alias', 'lxd-own']);
  await lxd.lxc(['image', 'copy', 'local:lxd-own', 'lodge:', '--mode', 'push', '--alias', 'from-lxd']);
  assert.equal((await a.client.images.resolve('from-lxd')).fingerprint, await sha256(mine, img.rootfs));
});

test('the same simplestreams server seen by a real LXD 5.0.2 and by lodged: the same image record', async (t) => {
  const { d, server, env, v1 } = await setup(t);
  const lxd = await startLxd(t, { env });
  await lxd.lxc(['remote', 'add', 'ss', server.url, '--protocol', 'simplestreams', '--public'], { env });
  await lxd.lxc(['init', 'ss:busybox', 'c1'], { env });
  await d.lxc(['init', 'ss:busybox', 'c1'], { env });
  const theirs = (JSON.parse((await lxd.lxc(['image', 'list', '--format', 'json'])).stdout) as Image[])[0]!;
  const ours = (await images(d))[0]!;
  assert.equal(theirs.fingerprint, v1);
  const pick = (i: Image) => ({
    fingerprint: i.fingerprint,
    filename: i.filename,
    profiles: i.profiles,
    architecture: i.architecture,
    type: i.type,
    size: i.size,
    public: i.public,
    cached: i.cached,
    auto_update: i.auto_update,
    created_at: i.created_at,
    expires_at: i.expires_at,
    properties: i.properties,
    update_source: i.update_source,
    aliases: i.aliases,
  });
  assert.deepEqual(pick(ours), pick(theirs));
});
