// lodge project ...: create with config, switch (kept in the CLI config), --project, set/get, rename, delete.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('switching projects is remembered per remote and scopes later commands', async (t) => {
  const d = await startDaemon(t);
  assert.equal((await d.lodge(['project', 'create', 'dev', '-c', 'features.images=false', '-c', 'user.team=blue'])).stdout, 'Project dev created\n');
  assert.equal((await d.lodge(['project', 'get', 'dev', 'user.team'])).stdout, 'blue\n');
  await d.lodge(['project', 'switch', 'dev']);
  const conf = await readFile(join(d.env.LODGE_CONF ?? '', 'config.yml'), 'utf8');
  assert.match(conf, /local:\n {4}addr: unix:\/\/\n {4}project: dev\n {4}public: false\n/);
  const list = await d.lodge(['project', 'list']);
  assert.match(list.stdout, /\| dev \(current\) +\| NO +\| YES +\| YES +\| NO +\| +\| \d+ +\|/);
  assert.match(list.stdout, /\| default +\| YES /);

  await d.lodge(['profile', 'create', 'only-in-dev']);
  assert.ok((await d.client.useProject('dev').profiles.list()).some((p) => p.name === 'only-in-dev'));
  assert.ok(!(await d.client.profiles.list()).some((p) => p.name === 'only-in-dev'));
  assert.doesNotMatch((await d.lodge(['profile', 'list', '--project', 'default'])).stdout, /only-in-dev/);

  await d.lodge(['profile', 'delete', 'only-in-dev']);
  assert.equal((await d.lodge(['project', 'rename', 'dev', 'dev2'])).stdout, 'Project dev renamed to dev2\n');
  await d.lodge(['project', 'switch', 'dev2']);
  assert.equal((await d.lodge(['project', 'delete', 'dev2'])).stdout, 'Project dev2 deleted\n');
  assert.doesNotMatch(await readFile(join(d.env.LODGE_CONF ?? '', 'config.yml'), 'utf8'), /project: dev2/);
  assert.match((await d.lodge(['project', 'list'])).stdout, /default \(current\)/);
});

test('project show, set, unset and edit; list matches lxc', async (t) => {
  const d = await startDaemon(t);
  await d.lodge(['project', 'create', 'p1']);
  await d.lodge(['project', 'set', 'p1', 'user.x=1', 'features.profiles=false']);
  await d.lodge(['project', 'unset', 'p1', 'user.x']);
  await d.lodge(['project', 'edit', 'p1'], { input: 'description: from stdin\nconfig:\n  features.profiles: "false"\n  user.y: z\n' });
  const shown = await d.lodge(['project', 'show', 'p1']);
  assert.equal(shown.stdout, (await d.lxc(['project', 'show', 'p1'])).stdout);
  assert.match(shown.stdout, /description: from stdin\n/);
  assert.match(shown.stdout, /user\.y: z\n/);
  for (const format of ['table', 'csv', 'json', 'yaml']) {
    assert.equal((await d.lodge(['project', 'ls', '--format', format])).stdout, (await d.lxc(['project', 'ls', '--format', format])).stdout, format);
  }
  const gone = await d.lodge(['project', 'switch', 'missing'], { allowFail: true });
  assert.deepEqual([gone.code, gone.stderr], [1, 'Error: Project not found\n']);
});
