// Instance updates (PUT/PATCH): validate the new config, store it, and apply what can change live.
import type { Devices, InstancePut } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateDevices } from '../config/devices.js';
import { instanceSchema } from '../config/instance.js';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import type { InstanceRecord } from '../db/records.js';
import type { LifecycleOptions } from '../events/hub.js';
import { checkPools } from '../profiles/service.js';
import { etagOf } from '../util/etag.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { checkDevices } from './devices.js';
import { checkNics } from './nic.js';
import { cgroupSettings, isLimitKey } from './lxc/limits.js';
import { runtimeState } from './runtime.js';
import { loadView, rootPool, viewOf, type InstanceView } from './view.js';

export function instanceEtag(rec: InstanceRecord): string {
  return etagOf(rec.architecture, rec.config, rec.devices, rec.ephemeral, rec.profiles, rec.description);
}

/** Hot-plugs device changes into a running container (pid = its init). */
export type Hotplug = (view: InstanceView, added: Devices, removed: Devices, pid: number) => Promise<void>;

function merged(cur: InstanceRecord, put: Partial<InstancePut>, patch: boolean): InstanceRecord {
  if (patch) {
    return {
      ...cur,
      config: withoutEmpty({ ...cur.config, ...(put.config ?? {}) }),
      devices: { ...cur.devices, ...(put.devices ?? {}) },
      profiles: put.profiles ?? cur.profiles,
      ephemeral: put.ephemeral ?? cur.ephemeral,
      description: put.description ?? cur.description,
    };
  }
  // A PUT replaces the writable fields; volatile keys the client did not send are kept (the daemon owns them).
  const volatile = Object.fromEntries(Object.entries(cur.config).filter(([k]) => k.startsWith('volatile.')));
  return {
    ...cur,
    config: withoutEmpty({ ...volatile, ...(put.config ?? {}) }),
    devices: put.devices ?? {},
    profiles: put.profiles ?? [],
    ephemeral: put.ephemeral ?? false,
    description: put.description ?? '',
  };
}

function deviceDiff(before: Devices, after: Devices): { added: Devices; removed: Devices } {
  const added: Devices = {};
  const removed: Devices = {};
  for (const [n, d] of Object.entries(before)) if (JSON.stringify(after[n]) !== JSON.stringify(d)) removed[n] = d;
  for (const [n, d] of Object.entries(after)) if (JSON.stringify(before[n]) !== JSON.stringify(d)) added[n] = d;
  return { added, removed };
}

export async function updateInstance(
  ctx: InstanceContext,
  project: string,
  name: string,
  put: Partial<InstancePut>,
  opts: { patch: boolean; etag?: (current: string) => void; lc: LifecycleOptions; hotplug: Hotplug },
): Promise<void> {
  validateConfig(instanceSchema, put.config);
  validateDevices(put.devices);
  const before = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const after = await ctx.store.tx(async (tx) => {
    const cur = await tx.instances.get(project, name);
    if (!cur) throw ApiError.notFound('Instance not found');
    opts.etag?.(instanceEtag(cur));
    const next = merged(cur, put, opts.patch);
    const view = await viewOf(ctx, tx, project, next);
    validateConfig(instanceSchema, view.expandedConfig);
    validateDevices(view.expandedDevices);
    await checkPools(tx, view.expandedDevices);
    await checkDevices(view.expandedDevices);
    await checkNics(ctx, tx, view.expandedDevices, { project, name });
    if (rootPool(view) !== cur.pool) throw ApiError.badRequest(`The root disk must stay on pool "${cur.pool}" (moving between pools is not supported yet)`);
    tx.instances.put(project, name, next);
    return view;
  });
  try {
    await applyLive(ctx, before, after, opts.hotplug);
  } catch (e) {
    await ctx.store.tx(async (tx) => tx.instances.put(project, name, before.rec));
    await applyLive(ctx, after, before, opts.hotplug).catch(() => undefined);
    throw e instanceof ApiError ? e : ApiError.badRequest(`Failed to apply the change to the running instance: ${(e as Error).message}`);
  }
  await forgetRemovedDevices(ctx, project, name, before, after);
  ctx.events.lifecycle(project, 'instance-updated', `/1.0/instances/${seg(name)}`, opts.lc);
}

/**
 * A device gone for good takes its volatile keys along (as LXD), so one added later under the same name gets a
 * fresh MAC and host name. Only after the unplug: it needed them to find the host side.
 */
async function forgetRemovedDevices(ctx: InstanceContext, project: string, name: string, before: InstanceView, after: InstanceView): Promise<void> {
  const gone = Object.keys(before.expandedDevices).filter((d) => !(d in after.expandedDevices));
  if (gone.length === 0) return;
  await ctx.store.tx(async (tx) => {
    const cur = await tx.instances.get(project, name);
    if (!cur) return;
    const config = Object.fromEntries(Object.entries(cur.config).filter(([k]) => !gone.some((d) => k.startsWith(`volatile.${d}.`))));
    if (Object.keys(config).length !== Object.keys(cur.config).length) tx.instances.put(project, name, { ...cur, config });
  });
}

/** Pushes limit and device changes into a running container; other keys take effect at the next start. */
export async function applyLive(ctx: InstanceContext, before: InstanceView, after: InstanceView, hotplug: Hotplug): Promise<void> {
  const state = await runtimeState(ctx, after);
  if (state.status === 'Stopped') return;
  const keys = new Set([...Object.keys(before.expandedConfig), ...Object.keys(after.expandedConfig)]);
  const limitsChanged = [...keys].some((k) => isLimitKey(k) && before.expandedConfig[k] !== after.expandedConfig[k]);
  if (limitsChanged) await ctx.lxc.applyLimits(after.names.cgroupPayload, cgroupSettings(after.expandedConfig, ctx.host));
  const { added, removed } = deviceDiff(before.expandedDevices, after.expandedDevices);
  if (Object.keys(added).length > 0 || Object.keys(removed).length > 0) await hotplug(after, added, removed, state.pid);
}

