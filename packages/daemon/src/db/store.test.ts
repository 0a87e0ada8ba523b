// Unit tests for the kv engine, transactions, collections and schema upgrades (real SQLite in a temp dir).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { schemaKey, schemaVersion } from './schema.js';
import { SqliteKv } from './sqlite.js';
import { Store } from './store.js';

async function tempStore(t: { after(fn: () => Promise<void>): void }): Promise<{ store: Store; kv: SqliteKv; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-db-'));
  const file = join(dir, 'db');
  const kv = new SqliteKv(file);
  const store = new Store(kv);
  t.after(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return { store, kv, file };
}

test('commits are atomic and guarded by revisions', async (t) => {
  const { kv } = await tempStore(t);
  assert.equal(await kv.commit([{ key: 'a', revision: 0 }], [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]), true);
  const a = await kv.get('a');
  assert.ok(a && a.revision > 0);
  assert.equal(await kv.commit([{ key: 'a', revision: 0 }], [{ key: 'c', value: '3' }]), false);
  assert.equal(await kv.get('c'), undefined);
  assert.equal(await kv.commit([{ key: 'a', revision: a.revision }], [{ key: 'a', value: null }]), true);
  assert.equal(await kv.get('a'), undefined);
  assert.deepEqual((await kv.list('b')).map((e) => e.key), ['b']);
});

test('a failing transaction leaves nothing behind', async (t) => {
  const { store } = await tempStore(t);
  await assert.rejects(
    store.tx(async (tx) => {
      await tx.profiles.create('default', 'p1', { name: 'p1', description: '', config: {}, devices: {} });
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await store.read((tx) => tx.profiles.get('default', 'p1')), undefined);
});

test('collections: uniqueness, rename in one commit, scopes are separate', async (t) => {
  const { store } = await tempStore(t);
  const rec = { name: 'p', description: '', config: {}, devices: {} };
  await store.tx((tx) => tx.profiles.create('default', 'p', rec));
  await store.tx((tx) => tx.profiles.create('other', 'p', rec));
  await assert.rejects(store.tx((tx) => tx.profiles.create('default', 'p', rec)), /already exists/);
  await store.tx((tx) => tx.profiles.rename('default', 'p', 'q', { ...rec, name: 'q' }));
  assert.deepEqual(await store.read((tx) => tx.profiles.names('default')), ['q']);
  assert.deepEqual(await store.read((tx) => tx.profiles.names('other')), ['p']);
  await assert.rejects(store.read((tx) => tx.profiles.must('default', 'p')), /Profile not found/);
});

test('concurrent transactions on the same key retry instead of losing an update', async (t) => {
  const { store } = await tempStore(t);
  await store.tx(async (tx) => tx.put('counter', 0));
  await Promise.all(
    Array.from({ length: 20 }, () =>
      store.tx(async (tx) => {
        const n = (await tx.get<number>('counter')) ?? 0;
        await new Promise((r) => setImmediate(r));
        tx.put('counter', n + 1);
      }),
    ),
  );
  assert.equal(await store.read((tx) => tx.get<number>('counter')), 20);
});

test('schema upgrade records the version, survives reopening, refuses a newer database', async (t) => {
  const { store, kv, file } = await tempStore(t);
  assert.deepEqual(await store.upgrade(), { from: 0, to: schemaVersion });
  assert.deepEqual(await store.upgrade(), { from: schemaVersion, to: schemaVersion });
  await kv.commit([], [{ key: schemaKey, value: String(schemaVersion + 1) }]);
  await store.close();
  const reopened = new Store(new SqliteKv(file));
  await assert.rejects(reopened.upgrade(), /newer than this daemon/);
  await reopened.close();
});
