// Snapshots: consistent copies of an instance's volume with its config; immutable except for their expiry.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InstanceSnapshot, InstanceSnapshotsPost } from '@lodge/api';
import { ApiError, formatTime, zeroTime } from '@lodge/api';
import { validateSnapshotName } from '../config/names.js';
import type { SnapshotRecord } from '../db/records.js';
import type { LifecycleOptions } from '../events/hub.js';
import { criuStatus } from '../sys/criu.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { expand } from './expand.js';
import { expiryFrom, nextSnapshotName } from './expiry.js';
import { snapshotScope, snapshotVolume } from './naming.js';
import { runtimeState } from './runtime.js';
import { loadView, type InstanceView } from './view.js';

export function snapshotUrl(name: string, snapshot: string): string {
  return `/1.0/instances/${seg(name)}/snapshots/${seg(snapshot)}`;
}

export async function listSnapshots(ctx: InstanceContext, project: string, name: string): Promise<SnapshotRecord[]> {
  return ctx.store.read(async (tx) => {
    await tx.instances.must(project, name);
    return (await tx.snapshots.list(snapshotScope(project, name))).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  });
}

export async function snapshotToApi(ctx: InstanceContext, project: string, rec: SnapshotRecord): Promise<InstanceSnapshot> {
  const profiles = await ctx.store.read((tx) => ctx.profiles.records(tx, project, rec.profiles).catch(() => []));
  const e = expand(profiles, rec);
  return {
    architecture: rec.architecture,
    config: rec.config,
    created_at: rec.created_at,
    devices: rec.devices,
    ephemeral: rec.ephemeral,
    expanded_config: e.config,
    expanded_devices: e.devices,
    last_used_at: rec.last_used_at,
    name: rec.name,
    profiles: rec.profiles,
    stateful: rec.stateful,
    size: rec.size,
    expires_at: rec.expires_at,
  };
}

/** Validates a snapshot request before its operation starts. */
export async function precheckSnapshot(ctx: InstanceContext, project: string, name: string, req: InstanceSnapshotsPost): Promise<void> {
  if (req.name) validateSnapshotName(req.name);
  if (req.stateful) {
    const criu = await criuStatus(ctx.runner);
    if (!criu.ok) throw ApiError.badRequest(`Stateful snapshots need CRIU: ${criu.reason}`);
  }
  if (req.expires_at && Number.isNaN(Date.parse(req.expires_at))) throw ApiError.badRequest(`Invalid expires_at "${req.expires_at}"`);
  await ctx.store.read(async (tx) => {
    await tx.instances.must(project, name);
    if (req.name && (await tx.snapshots.exists(snapshotScope(project, name), req.name))) throw ApiError.conflict(`Snapshot "${req.name}" already exists`);
  });
}

/** Takes a snapshot; a running container is frozen while its files are copied, so the copy is consistent. */
export async function createSnapshot(ctx: InstanceContext, project: string, name: string, req: InstanceSnapshotsPost, lc: LifecycleOptions): Promise<string> {
  await precheckSnapshot(ctx, project, name, req);
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  const scope = snapshotScope(project, name);
  const now = new Date();
  const snap = req.name || nextSnapshotName(view.expandedConfig['snapshots.pattern'] || 'snap%d', await ctx.store.read((tx) => tx.snapshots.names(scope)), now);
  validateSnapshotName(snap);
  const expires = req.expires_at ? new Date(req.expires_at) : expiryFrom(now, view.expandedConfig['snapshots.expiry'] ?? '');
  const volume = snapshotVolume(project, name, snap);
  await mkdir(dirname(await ctx.pools.mountPath(view.rec.pool, 'containers-snapshots', volume)), { recursive: true, mode: 0o711 });
  await withFrozen(ctx, view, () => ctx.pools.copyVolume(view.rec.pool, 'containers', view.names.volume, volume, 'containers-snapshots'));
  try {
    const size = (await ctx.pools.volumeUsage(view.rec.pool, 'containers-snapshots', volume)) ?? 0;
    const rec: SnapshotRecord = {
      name: snap,
      architecture: view.rec.architecture,
      description: view.rec.description,
      config: view.rec.config,
      devices: view.rec.devices,
      profiles: view.rec.profiles,
      ephemeral: view.rec.ephemeral,
      stateful: false,
      created_at: formatTime(now),
      expires_at: expires ? formatTime(expires) : zeroTime,
      last_used_at: zeroTime,
      size,
    };
    await ctx.store.tx((tx) => tx.snapshots.create(scope, snap, rec));
  } catch (e) {
    await ctx.pools.deleteVolume(view.rec.pool, 'containers-snapshots', volume);
    throw e;
  }
  ctx.events.lifecycle(project, 'instance-snapshot-created', snapshotUrl(name, snap), lc);
  return snap;
}

/** Runs fn with the container frozen if it is running (and thaws it after, unless it was frozen already). */
export async function withFrozen<T>(ctx: InstanceContext, view: InstanceView, fn: () => Promise<T>): Promise<T> {
  const state = await runtimeState(ctx, view);
  if (state.status !== 'Running') return fn();
  await ctx.lxc.freeze(view.names);
  try {
    return await fn();
  } finally {
    await ctx.lxc.unfreeze(view.names);
  }
}

export async function updateSnapshotExpiry(ctx: InstanceContext, project: string, name: string, snap: string, expiresAt: string | undefined, lc: LifecycleOptions): Promise<void> {
  if (expiresAt && Number.isNaN(Date.parse(expiresAt))) throw ApiError.badRequest(`Invalid expires_at "${expiresAt}"`);
  await ctx.store.tx(async (tx) => {
    const scope = snapshotScope(project, name);
    const rec = await tx.snapshots.must(scope, snap);
    tx.snapshots.put(scope, snap, { ...rec, expires_at: expiresAt && Date.parse(expiresAt) > 0 ? formatTime(new Date(expiresAt)) : zeroTime });
  });
  ctx.events.lifecycle(project, 'instance-snapshot-updated', snapshotUrl(name, snap), lc);
}

export async function renameSnapshot(ctx: InstanceContext, project: string, name: string, snap: string, to: string, lc: LifecycleOptions): Promise<void> {
  validateSnapshotName(to);
  const pool = await ctx.store.read(async (tx) => (await tx.instances.must(project, name)).pool);
  const scope = snapshotScope(project, name);
  await ctx.store.tx(async (tx) => {
    const rec = await tx.snapshots.must(scope, snap);
    await tx.snapshots.rename(scope, snap, to, { ...rec, name: to });
  });
  try {
    await ctx.pools.renameVolume(pool, 'containers-snapshots', snapshotVolume(project, name, snap), snapshotVolume(project, name, to));
  } catch (e) {
    await ctx.store.tx(async (tx) => tx.snapshots.rename(scope, to, snap, { ...(await tx.snapshots.must(scope, to)), name: snap }));
    throw e;
  }
  ctx.events.lifecycle(project, 'instance-snapshot-renamed', snapshotUrl(name, to), { ...lc, context: { old_name: snap } });
}

export async function deleteSnapshot(ctx: InstanceContext, project: string, name: string, snap: string, lc: LifecycleOptions): Promise<void> {
  const pool = await ctx.store.read(async (tx) => (await tx.instances.must(project, name)).pool);
  await ctx.store.tx((tx) => tx.snapshots.delete(snapshotScope(project, name), snap));
  await ctx.pools.deleteVolume(pool, 'containers-snapshots', snapshotVolume(project, name, snap));
  ctx.events.lifecycle(project, 'instance-snapshot-deleted', snapshotUrl(name, snap), lc);
}

/** Removes every snapshot of an instance (records first, then volumes). */
export async function deleteAllSnapshots(ctx: InstanceContext, project: string, name: string, pool: string): Promise<void> {
  const scope = snapshotScope(project, name);
  const names = await ctx.store.read((tx) => tx.snapshots.names(scope));
  await ctx.store.tx(async (tx) => {
    for (const n of names) await tx.snapshots.delete(scope, n);
  });
  await ctx.pools.deleteVolume(pool, 'containers-snapshots', scope);
}
