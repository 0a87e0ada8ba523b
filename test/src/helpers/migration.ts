// Fixtures for copy and move tests between servers (lxc's and lodge's): a source instance with snapshots, and what a
// copy must hold on its target. Set up and checked with lxc, the reference client, whatever client does the copy.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from './daemon.js';
import { waitFor } from './wait.js';

export async function names(d: TestDaemon): Promise<string[]> {
  return (await d.client.instances.names()).sort();
}

export async function snapshotNames(d: TestDaemon, name: string): Promise<string[]> {
  return (await d.client.instances.snapshots(name)).map((s) => s.name).sort();
}

/** Instance (or snapshot) volumes on the daemon's default pool, as directories (whatever the API says). */
export async function volumeDirs(d: TestDaemon, kind = 'containers'): Promise<string[]> {
  return (await readdir(join(d.dir, 'storage-pools', 'default', kind)).catch(() => [] as string[])).sort();
}

/**
 * Gives the daemon time to clean up after a failed or interrupted transfer: it removes the record, then the volume,
 * in the background (after a crash, once its API answers again). The caller then asserts what is left.
 */
export async function settled(d: TestDaemon): Promise<void> {
  await waitFor('no instance and no volume left', async () => (await names(d)).length === 0 && (await volumeDirs(d)).length === 0, 20_000).catch(() => undefined);
}

/** A stopped container with a file /root/m owned by 1000:1000, user.origin=a and two snapshots (first, second). */
export async function prepareSource(d: TestDaemon, name: string): Promise<void> {
  await d.lxc(['launch', 'busybox', name, '-c', 'user.origin=a']);
  await d.lxc(['exec', name, '--', 'sh', '-c', 'echo first > /root/m; chown 1000:1000 /root/m']);
  await d.lxc(['snapshot', name, 'snap0']);
  await d.lxc(['exec', name, '--', 'sh', '-c', 'echo second > /root/m']);
  await d.lxc(['snapshot', name, 'snap1']);
  await d.lxc(['stop', name, '--force']);
}

/** Starts the copy and checks config, snapshots, content and ownership, then stops it again. */
export async function checkCopy(d: TestDaemon, name: string, snaps: string[], content = 'second'): Promise<void> {
  assert.equal((await d.client.instances.get(name)).instance.config['user.origin'], 'a', name);
  assert.deepEqual(await snapshotNames(d, name), snaps, name);
  await d.lxc(['start', name]);
  assert.equal((await d.lxc(['exec', name, '--', 'cat', '/root/m'])).stdout, `${content}\n`, name);
  assert.equal((await d.lxc(['exec', name, '--', 'stat', '-c', '%u:%g', '/root/m'])).stdout, '1000:1000\n', name);
  await d.lxc(['stop', name, '--force']);
}
