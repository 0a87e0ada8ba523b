// Image servers end to end: a simplestreams tree served over HTTPS on 127.0.0.1 (test CA), used by the real lxc
// client through lodged: launch with caching, image copy, expiry, auto-update and refresh, bad hashes.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Event, Image, Operation } from '@lodge/api';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';
import { newerMetadata, startSimpleStreams, type SimpleStreamsServer } from '../helpers/simplestreams.js';

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

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-imgsrv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
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
  assert.deepEqual(img!.update_source, { alias: 'busybox', certificate: '', protocol: 'simplestreams', server: server.url, image_type: 'container' });
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
  await d.lxc(['launch', 'ss:busybox', 'c2'], { env });
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
  await d.lxc(['project', 'create', 'keep', '-c', 'features.images=true', '-c', 'features.profiles=false', '-c', 'images.remote_cache_expiry=0']);
  await d.lxc(['init', 'ss:busybox', 'c1'], { env });
  await d.lxc(['init', 'ss:busybox', 'k1', '--project', 'keep'], { env });
  await d.lxc(['delete', 'c1']);
  await d.lxc(['delete', 'k1', '--project', 'keep']);
  assert.ok((await images(d)).some((i) => i.fingerprint === v1 && i.cached));
  // 0.00003 days is about 2.6 s: the daily pass runs at least that often when the expiry is shorter than a day.
  await d.lxc(['config', 'set', 'images.remote_cache_expiry', '0.00003']);
  await until('the cached image to expire', async () => ((await images(d)).some((i) => i.fingerprint === v1) ? undefined : true));
  assert.deepEqual((await images(d)).map((i) => i.aliases[0]?.name), ['local-bb'], 'uploaded images never expire here');
  assert.equal((await images(d, 'keep')).length, 1, 'the project override (0) keeps its cached image');
  // The files stay while another project has the image; they go with its last record.
  assert.ok((await readdir(join(d.dir, 'images'))).includes(v1));
  await d.lxc(['project', 'unset', 'keep', 'images.remote_cache_expiry']);
  await until('the other project’s image to expire', async () => ((await images(d, 'keep')).length === 0 ? true : undefined));
  assert.ok(!(await readdir(join(d.dir, 'images'))).some((f) => f.startsWith(v1)));
});

test('auto-update and refresh: a newer version on the server replaces the image and takes its aliases', async (t) => {
  const { d, server, env, v1 } = await setup(t);
  const img = await busyboxImage();
  const dir = await tmp(t);
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
  await until('the image-refreshed event', async () => (refreshed.includes(`/1.0/images/${v1}`) ? true : undefined), 5000);

  // Periodically: a cached image with auto_update follows too, every images.auto_update_interval hours.
  await d.lxc(['launch', 'ss:busybox', 'c1'], { env });
  const { fingerprint: v3 } = await server.publish({ serial: '20240103_00:00', meta: await newerMetadata(img.meta, dir, 2), rootfs: img.rootfs });
  await d.lxc(['config', 'set', 'images.auto_update_interval', '0.0005']);
  list = await until('the periodic refresh', async () => {
    const l = await images(d);
    return l.length === 1 && l[0]!.fingerprint === v3 ? l : undefined;
  });
  assert.deepEqual(list[0]!.aliases.map((a) => a.name), ['bb']);
  assert.equal(list[0]!.cached, false, 'the copied image keeps its (uncached) state');
  assert.ok(!(await readdir(join(d.dir, 'images'))).some((f) => f.startsWith(v2)), 'old files removed');
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
