// lodge profile ...: create, set/unset/get, devices, show (as lxc shows it), edit from stdin, copy, rename, delete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';

test('a profile built with lodge shows exactly as lxc shows it', async (t) => {
  const d = await startDaemon(t);
  assert.equal((await d.lodge(['profile', 'create', 'web'])).stdout, 'Profile web created\n');
  await d.lodge(['profile', 'set', 'web', 'user.a=yes', 'user.b=[::]:8443', 'limits.cpu=2']);
  await d.lodge(['profile', 'set', 'web', 'user.note', 'a long note that goes on and on past the eighty column limit of the yaml emitter, folding']);
  await d.lodge(['profile', 'set', 'web', 'user.script=-'], { input: '#!/bin/sh\necho hi\n' });
  assert.equal((await d.lodge(['profile', 'device', 'add', 'web', 'root', 'disk', 'path=/', 'pool=default'])).stdout, 'Device root added to web\n');
  await d.lodge(['profile', 'device', 'set', 'web', 'root', 'size=2GB']);
  assert.equal((await d.lodge(['profile', 'device', 'get', 'web', 'root', 'size'])).stdout, '2GB\n');
  assert.equal((await d.lodge(['profile', 'device', 'list', 'web'])).stdout, 'root\n');
  const devices = await d.lodge(['profile', 'device', 'show', 'web']);
  assert.equal(devices.stdout, (await d.lxc(['profile', 'device', 'show', 'web'])).stdout);
  const shown = await d.lodge(['profile', 'show', 'web']);
  assert.equal(shown.stdout, (await d.lxc(['profile', 'show', 'web'])).stdout);
  assert.match(shown.stdout, /user\.a: "yes"\n {2}user\.b: '\[::\]:8443'\n/);
  assert.match(shown.stdout, /user\.script: \|\n {4}#!\/bin\/sh\n {4}echo hi\n/);
  assert.equal((await d.lodge(['profile', 'get', 'web', 'limits.cpu'])).stdout, '2\n');
  await d.lodge(['profile', 'unset', 'web', 'user.a']);
  assert.equal((await d.lodge(['profile', 'get', 'web', 'user.a'])).stdout, '\n');
  for (const format of ['table', 'csv', 'json', 'yaml']) {
    assert.equal((await d.lodge(['profile', 'list', '-f', format])).stdout, (await d.lxc(['profile', 'list', '-f', format])).stdout, format);
  }
});

test('edit from stdin replaces the profile; copy, rename and delete', async (t) => {
  const d = await startDaemon(t);
  await d.lodge(['profile', 'create', 'p1']);
  await d.lodge(['profile', 'edit', 'p1'], { input: 'description: edited\nconfig:\n  user.v: 1.0\n  limits.memory: 256MB\ndevices:\n  root:\n    path: /\n    pool: default\n    type: disk\n' });
  const { profile } = await d.client.profiles.get('p1');
  assert.equal(profile.description, 'edited');
  assert.deepEqual(profile.config, { 'user.v': '1.0', 'limits.memory': '256MB' });
  assert.deepEqual(profile.devices, { root: { path: '/', pool: 'default', type: 'disk' } });

  await d.lodge(['profile', 'copy', 'p1', 'p2']);
  assert.equal((await d.client.profiles.get('p2')).profile.description, 'edited');
  assert.equal((await d.lodge(['profile', 'rename', 'p2', 'p3'])).stdout, 'Profile p2 renamed to p3\n');
  await d.lodge(['profile', 'device', 'remove', 'p3', 'root']);
  assert.deepEqual((await d.client.profiles.get('p3')).profile.devices, {});
  assert.equal((await d.lodge(['profile', 'rm', 'p3'])).stdout, 'Profile p3 deleted\n');
  assert.equal((await d.lodge(['profile', 'delete', 'p1', '-q'])).stdout, '');
  const names = (await d.client.profiles.list()).map((p) => p.name);
  assert.deepEqual(names, ['default']);
});

test('profile errors are lxc errors: Error: on stderr, exit 1', async (t) => {
  const d = await startDaemon(t);
  const cases: [string[], RegExp][] = [
    [['profile', 'show', 'nope'], /^Error: Profile not found\n$/],
    [['profile', 'create', 'default'], /^Error: .*exists.*\n$/i],
    [['profile', 'device', 'add', 'default', 'root', 'disk', 'path=/'], /^Error: The device already exists\n$/],
    [['profile', 'device', 'get', 'default', 'nodev', 'x'], /^Error: Device doesn't exist\n$/],
    [['profile', 'device', 'add', 'default', 'd', 'disk', 'path'], /^Error: No value found in "path"\n$/],
    [['profile', 'set', 'default', 'a=1', 'b'], /^Error: Invalid key=value configuration: b\n$/],
    [['profile', 'edit', 'default'], /^Error: yaml: /],
  ];
  for (const [args, re] of cases) {
    const r = await d.lodge(args, { allowFail: true, input: args[1] === 'edit' ? 'config: [oops\n' : '' });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
});
