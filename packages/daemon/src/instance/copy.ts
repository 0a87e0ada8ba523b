// Local copies: an instance or a snapshot becomes a new instance (snapshots too, unless instance_only).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InstancesPost } from '@lodge/api';
import { ApiError, formatTime } from '@lodge/api';
import type { SnapshotRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import type { InstanceContext } from './context.js';
import type { SourcePlan, SourcePlanner } from './create.js';
import { hostNames, snapshotScope, snapshotVolume } from './naming.js';
import { withFrozen } from './snapshots.js';
import { viewOf } from './view.js';

/** Keys a copy never inherits: identity and runtime state belong to the original (LXD keeps base_image). */
export function copyableConfig(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith('volatile.') || k === 'volatile.base_image'));
}

function parseSource(source: string | undefined): { name: string; snapshot?: string } {
  if (!source) throw ApiError.badRequest('Missing source name for the copy');
  const slash = source.indexOf('/');
  return slash === -1 ? { name: source } : { name: source.slice(0, slash), snapshot: source.slice(slash + 1) };
}

export function copyPlanner(ctx: InstanceContext): SourcePlanner {
  return async (tx: Tx, project: string, req: InstancesPost): Promise<SourcePlan> => {
    const srcProject = req.source?.project || project;
    const src = parseSource(req.source?.source);
    const inst = await tx.instances.get(srcProject, src.name);
    if (!inst) throw ApiError.notFound(`Source instance "${src.name}" not found`);
    const snap = src.snapshot ? await tx.snapshots.get(snapshotScope(srcProject, src.name), src.snapshot) : undefined;
    if (src.snapshot && !snap) throw ApiError.notFound(`Source snapshot "${req.source?.source}" not found`);
    const from = snap ?? inst;
    const snapshots = snap || req.source?.instance_only || req.source?.container_only ? [] : await tx.snapshots.list(snapshotScope(srcProject, src.name));
    const view = await viewOf(ctx, tx, srcProject, inst);
    const srcVolume = snap ? snapshotVolume(srcProject, src.name, snap.name) : view.names.volume;
    return {
      config: copyableConfig(from.config),
      devices: from.devices,
      profiles: from.profiles,
      architecture: from.architecture,
      ephemeral: from.ephemeral,
      description: from.description,
      template: 'copy',
      fill: async (pool, volume) => {
        if (pool !== inst.pool) throw ApiError.badRequest('Copies between storage pools are not supported yet');
        const copy = (): Promise<void> => ctx.pools.copyVolume(pool, snap ? 'containers-snapshots' : 'containers', srcVolume, volume, 'containers');
        // A running source is frozen while its files are copied, so the copy is consistent.
        await (snap ? copy() : withFrozen(ctx, view, copy));
      },
      after: snapshots.length === 0 ? undefined : (project2, name, pool) => copySnapshots(ctx, { project: srcProject, name: src.name }, { project: project2, name }, pool, snapshots),
    };
  };
}

async function copySnapshots(ctx: InstanceContext, from: { project: string; name: string }, to: { project: string; name: string }, pool: string, snaps: SnapshotRecord[]): Promise<void> {
  const scope = snapshotScope(to.project, to.name);
  for (const s of snaps) {
    const volume = snapshotVolume(to.project, to.name, s.name);
    await mkdir(dirname(await ctx.pools.mountPath(pool, 'containers-snapshots', volume)), { recursive: true, mode: 0o711 });
    await ctx.pools.copyVolume(pool, 'containers-snapshots', snapshotVolume(from.project, from.name, s.name), volume);
    await ctx.store.tx((tx) => tx.snapshots.create(scope, s.name, { ...s, config: copyableConfig(s.config) }));
  }
}

/** --refresh: bring an existing, stopped copy up to date (files synced, missing snapshots added, extra ones removed). */
export async function refreshCopy(ctx: InstanceContext, project: string, req: InstancesPost): Promise<void> {
  const target = req.name!;
  const srcProject = req.source?.project || project;
  const src = parseSource(req.source?.source);
  if (src.snapshot) throw ApiError.badRequest('Refreshing from a snapshot is not supported');
  const [dst, source] = await ctx.store.read(async (tx) => [await tx.instances.must(project, target), await tx.instances.must(srcProject, src.name)] as const);
  if (dst.pool !== source.pool) throw ApiError.badRequest('Copies between storage pools are not supported yet');
  const dstNames = hostNames(ctx.daemonId, project, target);
  const state = await ctx.lxc.state(dstNames.lxc, dstNames.cgroupPayload);
  if (state.status !== 'Stopped') throw ApiError.badRequest('The target instance must be stopped to be refreshed');
  const srcView = await ctx.store.read((tx) => viewOf(ctx, tx, srcProject, source));
  const pool = dst.pool;
  const dstPath = await ctx.pools.mountPath(pool, 'containers', dstNames.volume);
  await withFrozen(ctx, srcView, () =>
    ctx.pools.withReadView(pool, 'containers', srcView.names.volume, (src) => ctx.runner.run('rsync', ['-aHAX', '--numeric-ids', '--devices', '--specials', '--delete', `${src}/`, `${dstPath}/`])).then(() => undefined),
  );
  const [srcSnaps, dstSnaps] = await ctx.store.read(async (tx) => [await tx.snapshots.list(snapshotScope(srcProject, src.name)), await tx.snapshots.list(snapshotScope(project, target))] as const);
  const same = (a: SnapshotRecord, b: SnapshotRecord): boolean => a.name === b.name && a.created_at === b.created_at;
  for (const d of dstSnaps.filter((d) => !srcSnaps.some((s) => same(s, d)))) {
    await ctx.store.tx((tx) => tx.snapshots.delete(snapshotScope(project, target), d.name));
    await ctx.pools.deleteVolume(pool, 'containers-snapshots', snapshotVolume(project, target, d.name));
  }
  const missing = srcSnaps.filter((s) => !dstSnaps.some((d) => same(s, d)));
  await copySnapshots(ctx, { project: srcProject, name: src.name }, { project, name: target }, pool, missing);
  await ctx.store.tx(async (tx) => {
    const cur = await tx.instances.must(project, target);
    tx.instances.put(project, target, { ...cur, config: { ...copyableConfig(source.config), ...Object.fromEntries(Object.entries(cur.config).filter(([k]) => k.startsWith('volatile.') && k !== 'volatile.base_image')) }, last_used_at: cur.last_used_at || formatTime(new Date()) });
  });
}
