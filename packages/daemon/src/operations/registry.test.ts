// Unit tests for operations: status changes as events, cancellation, waiting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Operation as ApiOperation } from '@lodge/api';
import { EventHub } from '../events/hub.js';
import { OperationRegistry } from './registry.js';

function recorder(hub: EventHub): ApiOperation[] {
  const seen: ApiOperation[] = [];
  hub.subscribe({ types: new Set(['operation']), project: 'default', allProjects: false, send: (e: Event) => seen.push(e.metadata as ApiOperation) });
  return seen;
}

test('a task goes Pending, Running, Success with its result merged, each change announced', async () => {
  const hub = new EventHub();
  const seen = recorder(hub);
  const reg = new OperationRegistry(hub);
  const op = reg.start({ project: 'default', description: 'Doing', run: async () => ({ fingerprint: 'abc' }) });
  await op.wait(-1);
  assert.deepEqual(seen.map((o) => o.status_code), [105, 103, 200]);
  assert.equal(seen.at(-1)?.metadata?.fingerprint, 'abc');
  assert.equal(reg.get(op.id).toApi().status, 'Success');
});

test('failures carry the error; cancel needs a cancellable running operation', async () => {
  const reg = new OperationRegistry(new EventHub());
  const failed = reg.start({ project: 'default', description: 'x', run: async () => Promise.reject(new Error('nope')) });
  await failed.wait(-1);
  assert.equal(failed.toApi().status_code, 400);
  assert.equal(failed.toApi().err, 'nope');
  await assert.rejects(failed.cancel(), /Only running operations/);
  const stubborn = reg.start({ project: 'default', description: 'x', run: () => new Promise(() => undefined) });
  await assert.rejects(stubborn.cancel(), /can't be cancelled/);
  const token = reg.start({ project: 'default', description: 'token', class: 'token' });
  assert.equal(token.toApi().may_cancel, true);
  await token.cancel();
  assert.equal(token.toApi().status_code, 401);
});

test('cancelling a task aborts its signal and ends Cancelled', async () => {
  const reg = new OperationRegistry(new EventHub());
  const op = reg.start({
    project: 'p',
    description: 'long',
    cancel: () => undefined,
    run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  });
  await op.cancel();
  await op.wait(-1);
  assert.equal(op.toApi().status_code, 401);
  assert.equal(reg.list('p').length, 1);
  assert.equal(reg.list('default').length, 0);
});

test('wait returns early on timeout without finishing the operation', async () => {
  const reg = new OperationRegistry(new EventHub());
  const op = reg.start({ project: 'default', description: 'x', class: 'token' });
  const t0 = Date.now();
  await op.wait(50);
  assert.ok(Date.now() - t0 >= 45);
  assert.equal(op.final, false);
});
