// Unit tests of the dir driver's volume discard: out of place at once, freed later, swept after a crash.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessRunner } from '../../sys/runner.js';
import type { Volume } from '../driver.js';
import { DirDriver } from './dir.js';

async function pool(t: { after: (fn: () => Promise<void>) => void }): Promise<{ driver: DirDriver; vol: Volume; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'lodge-dir-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const driver = new DirDriver(root, new ProcessRunner());
  const poolConfig = await driver.createPool('p', {});
  const vol: Volume = { pool: 'p', poolConfig, kind: 'containers', name: 'default_c1' };
  await driver.createEmptyVolume(vol);
  await writeFile(join(driver.mountPath(vol), 'rootfs', 'f'), 'x');
  return { driver, vol, root };
}

async function waitEmpty(dir: string): Promise<void> {
  for (let i = 0; i < 100 && (await readdir(dir)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await readdir(dir), []);
}

test('a discarded volume leaves its place at once and its files are freed', async (t) => {
  const { driver, vol, root } = await pool(t);
  await driver.discardVolume(vol);
  assert.equal(await driver.volumeExists(vol), false);
  await waitEmpty(join(root, 'p', '.trash'));
  await driver.discardVolume(vol); // already gone: nothing to do, no error
});

test('discards a stop interrupted are freed by the sweep at start', async (t) => {
  const { driver, vol, root } = await pool(t);
  const trash = join(root, 'p', '.trash');
  await mkdir(join(trash, 'default_c0-left', 'rootfs'), { recursive: true });
  await driver.sweepDiscarded(vol.poolConfig, 'p');
  assert.deepEqual(await readdir(trash), []);
  assert.equal(await driver.volumeExists(vol), true);
});
