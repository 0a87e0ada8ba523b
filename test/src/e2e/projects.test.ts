// Projects end to end: features, isolation of images and profiles, rename, delete, bad names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';

test('a project with its own images and profiles is isolated from default', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['project', 'create', 'dev']);
  const list = (await d.lxc(['project', 'list', '--format', 'csv'])).stdout;
  assert.match(list, /^dev,YES,YES,YES,NO,/m);
  await d.lxc(['image', 'import', img.unified, '--alias', 'bb', '--project', 'dev']);
  await d.lxc(['profile', 'create', 'only-dev', '--project', 'dev']);
  assert.equal((await d.client.images.list()).length, 0);
  assert.equal((await d.client.useProject('dev').images.list()).length, 1);
  assert.deepEqual((await d.client.profiles.list()).map((p) => p.name), ['default']);
  assert.deepEqual((await d.client.useProject('dev').profiles.list()).map((p) => p.name).sort(), ['default', 'only-dev']);
  const usedBy = (await d.client.projects.get('dev')).project.used_by;
  assert.ok(usedBy.some((u) => u.startsWith('/1.0/images/') && u.endsWith('?project=dev')));
  const del = await d.lxc(['project', 'delete', 'dev'], { allowFail: true });
  assert.match(del.stderr, /Only empty projects can be removed/);
  const feat = await d.lxc(['project', 'set', 'dev', 'features.images', 'false'], { allowFail: true });
  assert.match(feat.stderr, /empty projects/);
  await d.lxc(['image', 'delete', 'bb', '--project', 'dev']);
  await d.lxc(['profile', 'delete', 'only-dev', '--project', 'dev']);
  await d.lxc(['project', 'rename', 'dev', 'qa']);
  assert.deepEqual((await d.client.projects.list()).map((p) => p.name).sort(), ['default', 'qa']);
  await d.lxc(['project', 'delete', 'qa']);
  assert.deepEqual((await d.client.projects.list()).map((p) => p.name), ['default']);
});

test('a project without features.images uses the default project images', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified, '--alias', 'shared']);
  await d.lxc(['project', 'create', 'lite', '-c', 'features.images=false', '-c', 'features.profiles=false']);
  assert.equal((await d.client.useProject('lite').images.list()).length, 1);
  assert.ok((await d.client.useProject('lite').profiles.list()).some((p) => p.name === 'default'));
});

test('bad project names and unknown projects are refused', async (t) => {
  const d = await startDaemon(t);
  for (const name of ['a_b', 'a/b', 'a b', '*', "it's"]) {
    const r = await d.lxc(['project', 'create', name], { allowFail: true });
    assert.notEqual(r.code, 0, name);
  }
  const bad = await d.lxc(['project', 'create', 'x', '-c', 'features.nope=true'], { allowFail: true });
  assert.match(bad.stderr, /features\.nope/);
  assert.equal((await d.client.projects.list()).length, 1);
  const missing = await d.lxc(['profile', 'list', '--project', 'ghost'], { allowFail: true });
  assert.match(missing.stderr, /Project not found/);
  const delDefault = await d.lxc(['project', 'delete', 'default'], { allowFail: true });
  assert.match(delDefault.stderr, /cannot be deleted/);
});
