// Instance deletion: refused while running or protected; removes record, volume, runtime files, logs and cgroups.
import { rm } from 'node:fs/promises';
import { ApiError } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import type { LifecycleOptions } from '../events/hub.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { deleteAllBackups } from './backups.js';
import { deleteAllSnapshots } from './snapshots.js';
import { loadView } from './view.js';

export async function deleteInstanceNow(ctx: InstanceContext, project: string, name: string, lc: LifecycleOptions): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  if (isTrue(view.expandedConfig['security.protection.delete'])) throw ApiError.badRequest('Instance is protected from deletion (security.protection.delete)');
  const state = await ctx.lxc.state(view.names.lxc, view.names.cgroupPayload);
  if (state.status !== 'Stopped') throw ApiError.badRequest('Instance is running');
  // The record goes first: a crash half-way leaves orphan files (cleaned at start), never a record without files.
  await ctx.store.tx(async (tx) => tx.instances.delete(project, name));
  await deleteAllSnapshots(ctx, project, name, view.rec.pool);
  await deleteAllBackups(ctx, project, name);
  await ctx.pools.deleteVolume(view.rec.pool, 'containers', view.names.volume);
  await ctx.lxc.removeRuntime(view.names.lxc);
  ctx.lxc.removeCgroups(view.names);
  await rm(ctx.paths.instanceLogs(view.names.lxc), { recursive: true, force: true });
  await rm(ctx.paths.deviceNodes(view.names.lxc), { recursive: true, force: true });
  await rm(ctx.paths.seccompProfile(view.names.lxc), { force: true });
  ctx.events.lifecycle(project, 'instance-deleted', `/1.0/instances/${seg(name)}`, lc);
}
