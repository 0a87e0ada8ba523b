// Unit tests for event fan-out by type and project.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '@lodge/api';
import { EventHub } from './hub.js';

test('listeners get only their types and project; logging only when wanted', () => {
  const hub = new EventHub();
  const got: Record<string, Event[]> = { def: [], all: [], logs: [] };
  hub.subscribe({ types: new Set(['lifecycle']), project: 'default', allProjects: false, send: (e) => got.def!.push(e) });
  hub.subscribe({ types: new Set(['lifecycle', 'operation']), project: 'default', allProjects: true, send: (e) => got.all!.push(e) });
  let demand: boolean[] = [];
  hub.onLoggingDemand = (w) => demand.push(w);
  hub.logging({ level: 'info', message: 'nobody listens', context: {} });
  const off = hub.subscribe({ types: new Set(['logging']), project: 'default', allProjects: false, send: (e) => got.logs!.push(e) });
  hub.lifecycle('default', 'profile-created', '/1.0/profiles/a');
  hub.lifecycle('dev', 'profile-created', '/1.0/profiles/b');
  hub.logging({ level: 'info', message: 'hello', context: {} });
  off();
  assert.deepEqual(demand, [true, false]);
  assert.equal(got.def!.length, 1);
  assert.equal(got.all!.length, 2);
  assert.equal((got.all![1]!.metadata as { source: string }).source, '/1.0/profiles/b?project=dev');
  assert.equal(got.logs!.length, 1);
  assert.equal(got.logs![0]!.project, undefined);
  demand = [];
});
