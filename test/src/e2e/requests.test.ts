// Bad requests and durability: invalid JSON, wrong types, oversized bodies, and a restart that keeps everything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';

async function send(d: Awaited<ReturnType<typeof startDaemon>>, method: string, path: string, body: string | Buffer): Promise<{ status: number; error: string }> {
  const res = await d.client.transport.request({ method, path, body, headers: { 'Content-Type': 'application/json' } });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const env = JSON.parse(Buffer.concat(chunks).toString()) as { error: string };
  return { status: res.statusCode ?? 0, error: env.error };
}

test('invalid JSON, wrong shapes and oversized bodies get a 4xx and create nothing', async (t) => {
  const d = await startDaemon(t);
  let r = await send(d, 'POST', '/1.0/profiles', '{"name": ');
  assert.equal(r.status, 400);
  assert.match(r.error, /Invalid JSON/);
  r = await send(d, 'POST', '/1.0/profiles', '');
  assert.equal(r.status, 400);
  r = await send(d, 'POST', '/1.0/profiles', '{"name": 5}');
  assert.equal(r.status, 400);
  r = await send(d, 'POST', '/1.0/profiles', '{"name": "x", "config": {"limits.cpu": 2}}');
  assert.equal(r.status, 400);
  r = await send(d, 'POST', '/1.0/profiles', '{"name": "y", "devices": []}');
  assert.equal(r.status, 400);
  r = await send(d, 'PUT', '/1.0', '{"config": []}');
  assert.equal(r.status, 400);
  const big = Buffer.alloc(20 * 1024 * 1024, 0x20);
  r = await send(d, 'POST', '/1.0/profiles', Buffer.concat([Buffer.from('{"name":"big","description":"'), big, Buffer.from('"}')]));
  assert.equal(r.status, 413);
  assert.deepEqual((await d.client.profiles.list()).map((p) => p.name), ['default']);
});

test('a restart keeps images, aliases, profiles, projects and server config', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified, '--alias', 'keep']);
  await d.lxc(['profile', 'create', 'kept']);
  await d.lxc(['profile', 'set', 'kept', 'user.x', 'y']);
  await d.lxc(['project', 'create', 'p1']);
  await d.lxc(['config', 'set', 'images.remote_cache_expiry', '4']);
  await d.restart();
  assert.equal((await d.client.images.alias('keep')).name, 'keep');
  assert.equal((await d.client.profiles.get('kept')).profile.config['user.x'], 'y');
  assert.ok((await d.client.projects.list()).some((p) => p.name === 'p1'));
  assert.equal((await d.client.server.get()).server.config['images.remote_cache_expiry'], '4');
});

test('a crash (kill -9) loses nothing acknowledged', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.meta, img.rootfs, '--alias', 'acked']);
  await d.lxc(['profile', 'create', 'acked']);
  await d.kill9();
  await d.start();
  assert.equal((await d.client.images.alias('acked')).name, 'acked');
  assert.ok((await d.client.profiles.list()).some((p) => p.name === 'acked'));
  const { image } = await d.client.images.get((await d.client.images.alias('acked')).target);
  assert.equal(image.type, 'container');
});
