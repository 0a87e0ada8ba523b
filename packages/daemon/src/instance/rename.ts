// Instance rename: record, volume, runtime and log directories move together; refused while running.
import { rename as fsRename } from 'node:fs/promises';
import { ApiError } from '@lodge/api';
import { validateInstanceName } from '../config/names.js';
import type { LifecycleOptions } from '../events/hub.js';
import { exists } from '../sys/fs.js';
import { Reverter } from '../util/reverter.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { hostNames, snapshotScope } from './naming.js';
import { runtimeState } from './runtime.js';
import { loadView } from './view.js';

/** Snapshot records and volumes follow their instance's new name. */
async function moveSnapshots(ctx: InstanceContext, project: string, from: string, to: string, pool: string): Promise<void> {
  const src = snapshotScope(project, from);
  const dst = snapshotScope(project, to);
  await ctx.store.tx(async (tx) => {
    for (const rec of await tx.snapshots.list(src)) {
      await tx.snapshots.delete(src, rec.name);
      tx.snapshots.put(dst, rec.name, rec);
    }
  });
  const { vol, driver } = await ctx.pools.volume(pool, 'containers-snapshots', src);
  if (await driver.volumeExists(vol)) await ctx.pools.renameVolume(pool, 'containers-snapshots', src, dst);
  await ctx.store.tx(async (tx) => {
    for (const rec of await tx.backups.list(src)) {
      await tx.backups.delete(src, rec.name);
      tx.backups.put(dst, rec.name, rec);
    }
  });
  if (await exists(ctx.paths.instanceBackups(src))) await fsRename(ctx.paths.instanceBackups(src), ctx.paths.instanceBackups(dst));
}

export async function renameInstance(ctx: InstanceContext, project: string, name: string, newName: string, lc: LifecycleOptions): Promise<void> {
  validateInstanceName(newName);
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  if ((await runtimeState(ctx, view)).status !== 'Stopped') throw ApiError.badRequest('Renaming of running instance not allowed');
  const to = hostNames(ctx.daemonId, project, newName);
  const revert = new Reverter();
  try {
    await ctx.store.tx(async (tx) => tx.instances.rename(project, name, newName, { ...view.rec, name: newName }));
    revert.add(() => ctx.store.tx(async (tx) => tx.instances.rename(project, newName, name, view.rec)));
    await ctx.pools.renameVolume(view.rec.pool, 'containers', view.names.volume, to.volume);
    revert.add(() => ctx.pools.renameVolume(view.rec.pool, 'containers', to.volume, view.names.volume));
    await moveSnapshots(ctx, project, name, newName, view.rec.pool);
    revert.add(() => moveSnapshots(ctx, project, newName, name, view.rec.pool));
    for (const [from, dest] of [
      [ctx.lxc.dir(view.names.lxc), ctx.lxc.dir(to.lxc)],
      [ctx.paths.instanceLogs(view.names.lxc), ctx.paths.instanceLogs(to.lxc)],
      [ctx.paths.deviceNodes(view.names.lxc), ctx.paths.deviceNodes(to.lxc)],
    ] as const) {
      if (!(await exists(from))) continue;
      await fsRename(from, dest);
      revert.add(() => fsRename(dest, from));
    }
    revert.success();
  } finally {
    await revert.run();
  }
  ctx.events.lifecycle(project, 'instance-renamed', `/1.0/instances/${seg(newName)}`, { ...lc, context: { old_name: name } });
}
