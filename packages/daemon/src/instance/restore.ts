// Restore: the instance's root filesystem and config return to a snapshot; a running one is stopped and started again.
import { ApiError } from '@lodge/api';
import type { LifecycleOptions } from '../events/hub.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { snapshotScope, snapshotVolume } from './naming.js';
import { runtimeState, startInstance } from './runtime.js';
import { loadView } from './view.js';

/** "c1/snap0" or "snap0" → the snapshot name, checking the instance part. */
export function restoreTarget(name: string, restore: string): string {
  const slash = restore.indexOf('/');
  if (slash === -1) return restore;
  if (restore.slice(0, slash) !== name) throw ApiError.badRequest(`Snapshot "${restore}" does not belong to instance "${name}"`);
  return restore.slice(slash + 1);
}

export async function restoreSnapshot(ctx: InstanceContext, project: string, name: string, restore: string, lc: LifecycleOptions): Promise<void> {
  const snap = restoreTarget(name, restore);
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const rec = await ctx.store.read(async (tx) => {
    const r = await tx.snapshots.get(snapshotScope(project, name), snap);
    if (!r) throw ApiError.notFound(`Snapshot "${snap}" not found`);
    return r;
  });
  const wasRunning = (await runtimeState(ctx, view)).status !== 'Stopped';
  if (wasRunning) await ctx.lxc.stop(view.names.lxc, { force: true, timeoutS: 0 });
  const pool = view.rec.pool;
  const staged = `${view.names.volume}.restore`;
  const old = `${view.names.volume}.old`;
  await ctx.pools.deleteVolume(pool, 'containers', staged);
  await ctx.pools.copyVolume(pool, 'containers-snapshots', snapshotVolume(project, name, snap), staged, 'containers');
  // Swap in the copy, then drop the old volume: at every moment one complete volume is in place.
  await ctx.pools.deleteVolume(pool, 'containers', old);
  await ctx.pools.renameVolume(pool, 'containers', view.names.volume, old);
  await ctx.pools.renameVolume(pool, 'containers', staged, view.names.volume);
  await ctx.pools.discardVolume(pool, 'containers', old);
  await ctx.store.tx(async (tx) => {
    const cur = await tx.instances.must(project, name);
    const volatile = Object.fromEntries(Object.entries(cur.config).filter(([k]) => k.startsWith('volatile.')));
    const kept = Object.fromEntries(Object.entries(rec.config).filter(([k]) => !k.startsWith('volatile.')));
    tx.instances.put(project, name, {
      ...cur,
      architecture: rec.architecture,
      config: { ...kept, ...volatile },
      devices: rec.devices,
      profiles: rec.profiles,
      ephemeral: rec.ephemeral,
      description: rec.description,
    });
  });
  ctx.events.lifecycle(project, 'instance-restored', `/1.0/instances/${seg(name)}`, { ...lc, context: { snapshot: snap } });
  if (wasRunning) await startInstance(ctx, project, name, {});
}
