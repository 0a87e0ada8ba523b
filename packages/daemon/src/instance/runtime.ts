// Instance runtime: start, stop, restart, freeze, unfreeze; what happens after a container stops.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, formatTime } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import type { LifecycleOptions } from '../events/hub.js';
import type { IdmapEntry } from '../sys/idmap.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { chooseIdmap } from './idmap.js';
import { renderLxcConfig, type ContainerSpec } from './lxc/config.js';
import type { RuntimeState } from './lxc/driver.js';
import { nicsStopped, prepareNics } from './nic.js';
import { buildSpec } from './spec.js';
import { applyTemplates } from './templates.js';
import { loadView, type InstanceView } from './view.js';

export function runtimeState(ctx: InstanceContext, view: InstanceView): Promise<RuntimeState> {
  return ctx.lxc.state(view.names.lxc, view.names.cgroupPayload);
}

async function setVolatile(ctx: InstanceContext, view: InstanceView, keys: Record<string, string | undefined>): Promise<void> {
  await ctx.store.tx(async (tx) => {
    const rec = await tx.instances.get(view.project, view.rec.name);
    if (!rec) return;
    const config = { ...rec.config };
    for (const [k, v] of Object.entries(keys)) {
      if (v === undefined) delete config[k];
      else config[k] = v;
    }
    tx.instances.put(view.project, rec.name, { ...rec, config, last_used_at: keys['volatile.last_state.power'] === 'RUNNING' ? formatTime(new Date()) : rec.last_used_at });
  });
}

export async function startInstance(ctx: InstanceContext, project: string, name: string, lc: LifecycleOptions): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const state = await runtimeState(ctx, view);
  if (state.status !== 'Stopped') throw ApiError.badRequest('The instance is already running');
  const idmap: { map: IdmapEntry[]; base: number } = await ctx.store.read((tx) => chooseIdmap(tx, ctx.subids, { project, name }, view.expandedConfig));
  const volume = await ctx.pools.mountPath(view.rec.pool, 'containers', view.names.volume);
  const rootfs = `${volume}/rootfs`;
  const trigger = view.rec.config['volatile.apply_template'];
  // The daemon's view of the rootfs (a layered volume may still show a previous run's container view).
  await ctx.pools.useDaemonView(view.rec.pool, view.names.volume);
  await applyTemplates(ctx, view, volume, trigger);
  const spec = await buildSpec(ctx, view, rootfs, idmap.map);
  spec.rootfsIdmapped = await ctx.pools.prepareStart(view.rec.pool, view.names.volume, idmap.map);
  ctx.lxc.removeCgroups(view.names);
  try {
    await launch(ctx, view, spec);
  } catch (e) {
    await ctx.pools.useDaemonView(view.rec.pool, view.names.volume).catch(() => undefined);
    if ((await runtimeState(ctx, view)).status === 'Stopped') ctx.lxc.removeCgroups(view.names);
    throw e;
  }
  await setVolatile(ctx, view, {
    'volatile.apply_template': undefined,
    'volatile.idmap.base': String(idmap.base),
    'volatile.idmap.current': JSON.stringify(idmap.map),
    'volatile.idmap.next': JSON.stringify(idmap.map),
    'volatile.last_state.power': 'RUNNING',
  });
  ctx.events.lifecycle(project, 'instance-started', `/1.0/instances/${seg(name)}`, lc);
}

/** Network devices, the LXC config, lxc-start. */
async function launch(ctx: InstanceContext, view: InstanceView, spec: ContainerSpec): Promise<void> {
  const nics = await prepareNics(ctx, view);
  spec.nics = nics.sections;
  await mkdir(ctx.paths.instanceLogs(view.names.lxc), { recursive: true, mode: 0o700 });
  const rendered = renderLxcConfig(spec);
  await ctx.lxc.writeConfig(view.names.lxc, rendered);
  // LXD serves the config a container was started with as /logs/lxc.conf.
  await writeFile(join(ctx.paths.instanceLogs(view.names.lxc), 'lxc.conf'), rendered, { mode: 0o600 });
  await ctx.lxc.start(view.names.lxc, spec.logFile);
  await nics.started().catch((e: Error) => ctx.log.warn('Failed to apply nic limits', { instance: view.rec.name, err: e.message }));
}

export interface StopOptions {
  force: boolean;
  /** Seconds for a clean shutdown; -1 waits as long as it takes. */
  timeout: number;
}

export async function stopInstance(ctx: InstanceContext, project: string, name: string, opts: StopOptions, lc: LifecycleOptions): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const state = await runtimeState(ctx, view);
  if (state.status === 'Stopped') throw ApiError.badRequest('The instance is already stopped');
  if (state.status === 'Frozen' && !opts.force) throw ApiError.badRequest('The instance is frozen; unfreeze it or stop it with --force');
  if (state.status === 'Frozen') await ctx.lxc.unfreeze(view.names).catch(() => undefined);
  await ctx.lxc.stop(view.names.lxc, { force: opts.force, timeoutS: opts.timeout });
  if ((await runtimeState(ctx, view)).status !== 'Stopped') throw ApiError.internal('The instance did not stop');
  ctx.events.lifecycle(project, opts.force ? 'instance-stopped' : 'instance-shutdown', `/1.0/instances/${seg(name)}`, lc);
  await afterStop(ctx, view, 'stop');
}

/** Bookkeeping once a container is down, whoever stopped it: power state, ephemeral removal. */
export async function afterStop(ctx: InstanceContext, view: InstanceView, target: 'stop' | 'reboot'): Promise<'deleted' | 'kept'> {
  if (target === 'reboot') return 'kept';
  await ctx.pools.useDaemonView(view.rec.pool, view.names.volume);
  await setVolatile(ctx, view, { 'volatile.last_state.power': 'STOPPED', ...(await nicsStopped(ctx, view)) });
  if (view.rec.ephemeral) {
    const { deleteInstanceNow } = await import('./delete.js');
    await deleteInstanceNow(ctx, view.project, view.rec.name, {});
    return 'deleted';
  }
  return 'kept';
}

export async function freezeInstance(ctx: InstanceContext, project: string, name: string, freeze: boolean, lc: LifecycleOptions): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const state = await runtimeState(ctx, view);
  if (freeze) {
    if (state.status === 'Stopped') throw ApiError.badRequest('The instance is not running');
    if (state.status === 'Frozen') throw ApiError.badRequest('The instance is already frozen');
    await ctx.lxc.freeze(view.names);
    ctx.events.lifecycle(project, 'instance-paused', `/1.0/instances/${seg(name)}`, lc);
  } else {
    if (state.status !== 'Frozen') throw ApiError.badRequest('The instance is not frozen');
    await ctx.lxc.unfreeze(view.names);
    ctx.events.lifecycle(project, 'instance-resumed', `/1.0/instances/${seg(name)}`, lc);
  }
}

export function isEphemeral(view: InstanceView): boolean {
  return view.rec.ephemeral || isTrue(view.expandedConfig['volatile.ephemeral']);
}
