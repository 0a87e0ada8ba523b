// Events and operations end to end: lxc monitor, lifecycle events, operation list, the events websocket filters.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { Event } from '@lodge/api';
import { EventStream } from '@lodge/client';
import { startDaemon } from '../helpers/daemon.js';
import { busyboxImage } from '../helpers/images.js';

test('lxc monitor prints lifecycle and operation events', async (t) => {
  const d = await startDaemon(t);
  const mon = spawn('lxc', ['monitor', '--type', 'lifecycle'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => mon.kill());
  let out = '';
  mon.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => setTimeout(r, 500));
  await d.lxc(['profile', 'create', 'watched']);
  await d.lxc(['profile', 'delete', 'watched']);
  const deadline = Date.now() + 5000;
  while (!out.includes('profile-deleted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /action: profile-created/);
  assert.match(out, /source: \/1\.0\/profiles\/watched/);
  assert.match(out, /action: profile-deleted/);
});

test('the events websocket filters by type and project, and operation events reach a final state', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['project', 'create', 'other']);
  const defaults = await EventStream.open(d.client.transport, { types: ['lifecycle', 'operation'] });
  const all = await EventStream.open(d.client.transport, { types: ['lifecycle'], allProjects: true });
  const logs = await EventStream.open(d.client.transport, { types: ['logging'] });
  t.after(() => {
    defaults.close();
    all.close();
    logs.close();
  });
  const got = { defaults: [] as Event[], all: [] as Event[], logs: [] as Event[] };
  defaults.on((e) => got.defaults.push(e));
  all.on((e) => got.all.push(e));
  logs.on((e) => got.logs.push(e));
  await d.lxc(['image', 'import', img.unified, '--alias', 'ev']);
  await d.lxc(['profile', 'create', 'elsewhere', '--project', 'other']);
  await new Promise((r) => setTimeout(r, 300));
  const actions = (evs: Event[]) => evs.filter((e) => e.type === 'lifecycle').map((e) => (e.metadata as { action: string }).action);
  assert.deepEqual(actions(got.defaults), ['image-created', 'image-alias-created']);
  assert.ok(actions(got.all).includes('profile-created'));
  const ops = got.defaults.filter((e) => e.type === 'operation').map((e) => (e.metadata as { status_code: number }).status_code);
  assert.deepEqual(ops, [105, 103, 200]);
  assert.ok(got.logs.some((e) => (e.metadata as { message: string }).message === 'Handling API request'));
  assert.ok(got.logs.every((e) => e.project === undefined));
  const bogus = await EventStream.open(d.client.transport, { types: ['bogus'] }).catch((e: Error) => e);
  assert.match(String(bogus), /isn't a supported event type/);
});

test('operations stay listed after they finish, /wait returns them, DELETE refuses non-cancellable ones', async (t) => {
  const d = await startDaemon(t);
  const img = await busyboxImage();
  await d.lxc(['image', 'import', img.unified]);
  const list = (await d.lxc(['operation', 'list', '--format', 'json'])).stdout;
  const ops = JSON.parse(list) as { id: string; status: string; description: string }[];
  assert.equal(ops.length, 1);
  assert.equal(ops[0]?.status, 'Success');
  assert.equal(ops[0]?.description, 'Downloading image');
  const waited = await d.client.get<{ status_code: number }>(`/1.0/operations/${ops[0]!.id}/wait?timeout=1`);
  assert.equal(waited.status_code, 200);
  const del = await d.lxc(['operation', 'delete', ops[0]!.id], { allowFail: true });
  assert.match(del.stderr, /Only running operations can be cancelled/);
  const missing = await d.lxc(['operation', 'show', '00000000-0000-0000-0000-000000000000'], { allowFail: true });
  assert.match(missing.stderr, /Operation not found/);
});
