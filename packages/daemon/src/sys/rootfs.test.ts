// Unit tests: paths resolved inside a root never leave it, whatever links the tree holds.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveInRoot, writeInRoot } from './rootfs.js';

test('absolute links, ".." and chains stay inside the root', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'lodge-rootfs-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(outside, 'host secret');
  await symlink('/etc', join(root, 'etc-link'));
  await symlink('../../../../outside', join(root, 'etc', 'up'));
  await symlink(outside, join(root, 'abs-out'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
  assert.equal(await resolveInRoot(root, '/etc-link/hostname'), join(root, 'etc', 'hostname'));
  assert.equal(await resolveInRoot(root, '../../etc/x'), join(root, 'etc', 'x'));
  assert.equal(await resolveInRoot(root, '/etc/up'), join(root, 'outside'));
  assert.equal(await resolveInRoot(root, '/abs-out'), join(root, outside));
  await assert.rejects(resolveInRoot(root, '/loop1'), /Too many levels/);
  await writeInRoot(root, '/abs-out', 'written').catch(() => undefined);
  assert.equal(await readFile(outside, 'utf8'), 'host secret');
  await writeInRoot(root, '/etc-link/hostname', 'c1\n');
  assert.equal(await readFile(join(root, 'etc', 'hostname'), 'utf8'), 'c1\n');
});
