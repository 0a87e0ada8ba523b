// Profiles end to end with the real lxc client: CRUD, validation by key tables, ETags, rename, used_by.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('the default profile has a root disk on the default pool', async (t) => {
  const d = await startDaemon(t);
  const yaml = (await d.lxc(['profile', 'show', 'default'])).stdout;
  assert.match(yaml, /root:\n\s+path: \/\n\s+pool: default\n\s+type: disk/);
  const pool = (await d.lxc(['storage', 'show', 'default'])).stdout;
  assert.match(pool, /driver: dir/);
  assert.match(pool, /\/1\.0\/profiles\/default/);
});

test('create, set, device add, show, edit from stdin, rename, delete', async (t) => {
  const d = await startDaemon(t);
  assert.match((await d.lxc(['profile', 'create', 'web'])).stdout, /Profile web created/);
  await d.lxc(['profile', 'set', 'web', 'limits.memory', '256MB']);
  await d.lxc(['profile', 'set', 'web', 'user.note', 'hello']);
  assert.equal((await d.lxc(['profile', 'get', 'web', 'limits.memory'])).stdout.trim(), '256MB');
  await d.lxc(['profile', 'device', 'add', 'web', 'data', 'disk', 'source=/srv', 'path=/mnt/data', 'readonly=true']);
  const shown = (await d.lxc(['profile', 'show', 'web'])).stdout;
  assert.match(shown, /readonly: "true"/);
  await d.lxc(['profile', 'edit', 'web'], { input: 'config:\n  limits.cpu: "2"\ndescription: edited\ndevices: {}\n' });
  const p = (await d.client.profiles.get('web')).profile;
  assert.deepEqual(p.config, { 'limits.cpu': '2' });
  assert.equal(p.description, 'edited');
  assert.deepEqual(p.devices, {});
  await d.lxc(['profile', 'unset', 'web', 'limits.cpu']);
  await d.lxc(['profile', 'rename', 'web', 'www']);
  await d.lxc(['profile', 'copy', 'www', 'www2']);
  assert.deepEqual((await d.client.profiles.list()).map((x) => x.name).sort(), ['default', 'www', 'www2']);
  await d.lxc(['profile', 'delete', 'www']);
  await d.lxc(['profile', 'delete', 'www2']);
  assert.deepEqual((await d.client.profiles.list()).map((x) => x.name), ['default']);
});

test('bad names, keys, values and devices get a 400 naming the problem and create nothing', async (t) => {
  const d = await startDaemon(t);
  for (const name of ['a/b', '..', 'nl\nx']) {
    const r = await d.client.query('POST', '/1.0/profiles', { name }).catch((e: { status: number; message: string }) => e);
    assert.equal((r as { status: number }).status, 400, name);
  }
  await d.lxc(['profile', 'create', 'p']);
  const cases: [string[], RegExp][] = [
    [['profile', 'set', 'p', 'limits.bogus', '1'], /limits\.bogus/],
    [['profile', 'set', 'p', 'limits.memory', 'lots'], /limits\.memory/],
    [['profile', 'set', 'p', 'volatile.foo', 'x'], /Volatile keys can only be set on instances/],
    [['profile', 'set', 'p', 'security.privileged', 'perhaps'], /security\.privileged/],
    [['profile', 'device', 'add', 'p', 'g', 'gpu'], /unsupported device type "gpu"/],
    [['profile', 'device', 'add', 'p', 'd', 'disk', 'source=/srv'], /"path"/],
    [['profile', 'device', 'add', 'p', 'd', 'disk', 'source=/srv', 'path=/x', 'colour=red'], /colour/],
    [['profile', 'device', 'add', 'p', 'r', 'disk', 'path=/', 'pool=nopool'], /nopool/],
  ];
  for (const [args, re] of cases) {
    const r = await d.lxc(args, { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  const p = (await d.client.profiles.get('p')).profile;
  assert.deepEqual(p.config, {});
  assert.deepEqual(p.devices, {});
  const dup = await d.lxc(['profile', 'create', 'p'], { allowFail: true });
  assert.match(dup.stderr, /already exists/);
  const delDefault = await d.lxc(['profile', 'delete', 'default'], { allowFail: true });
  assert.match(delDefault.stderr, /cannot be deleted/);
  const renameDefault = await d.lxc(['profile', 'rename', 'default', 'x'], { allowFail: true });
  assert.match(renameDefault.stderr, /cannot be renamed/);
});

test('PUT with a stale ETag is refused with 412; PATCH merges', async (t) => {
  const d = await startDaemon(t);
  await d.client.profiles.create({ name: 'e', config: { 'user.a': '1' } });
  const { profile, etag } = await d.client.profiles.get('e');
  assert.ok(etag);
  await d.client.profiles.update('e', { config: { 'user.a': '2' }, description: '', devices: {} }, etag);
  await assert.rejects(d.client.profiles.update('e', { config: {}, description: '', devices: {} }, etag), (e: { status: number }) => e.status === 412);
  await d.client.query('PATCH', '/1.0/profiles/e', { config: { 'user.b': '3' } });
  assert.deepEqual((await d.client.profiles.get('e')).profile.config, { 'user.a': '2', 'user.b': '3' });
  assert.equal(profile.name, 'e');
});
