// Migration source: offers the header, sends the index and each volume by rsync, waits for the target's verdict.
import type { InstancePost } from '@lodge/api';
import type { InstanceContext } from '../instance/context.js';
import { backupConfig } from '../instance/backups.js';
import { snapshotVolume } from '../instance/naming.js';
import { runtimeState, startInstance } from '../instance/runtime.js';
import { listSnapshots } from '../instance/snapshots.js';
import { loadView, type InstanceView } from '../instance/view.js';
import type { OperationContext } from '../operations/operation.js';
import type { Channel } from './channel.js';
import { CriuType, FsType, decodeControl, decodeHeader, encodeControl, encodeHeader, type RsyncFeatures } from './messages.js';
import { rsyncSend, type RsyncFeature } from './rsync.js';
import { toMigSnapshot } from './snapshot-mapping.js';

export function featuresOf(f: RsyncFeatures | undefined): RsyncFeature[] {
  // A peer without "bidirectional" predates feature negotiation: LXD then assumes xattrs, delete and compress.
  if (!f?.bidirectional) return ['xattrs', 'delete', 'compress'];
  return (['xattrs', 'delete', 'compress', 'bidirectional'] as const).filter((k) => f[k]);
}

export interface SourceRequest {
  project: string;
  name: string;
  post: InstancePost;
  /** Migrate this snapshot as a new instance (no snapshots of its own). */
  snapshot?: string;
  /**
   * Live was asked for a running instance but CRIU cannot do it: the instance is shut down for the final pass
   * and the target boots it (as LXD's target resumes a CRIU dump). It stays stopped here unless the transfer fails.
   */
  stopForFinalPass?: boolean;
  /** Runs fn holding the instance, as the daemon's own stop does (its post-stop bookkeeping then waits). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

interface SendPlan {
  view: InstanceView;
  features: RsyncFeature[];
  status: 'Running' | 'Frozen';
  stop: boolean;
  exclusive: SourceRequest['exclusive'];
  progress: (n: number) => void;
}

/**
 * The final pass of a running container. LXD sends it with the container still running; lodge freezes the
 * container for it so the copy is consistent, and the pause lasts only as long as the delta takes. When the
 * instance moves on to run on the target, it is shut down cleanly instead.
 */
async function finalPass(ctx: InstanceContext, plan: SendPlan, send: () => Promise<void>): Promise<void> {
  const lxcName = plan.view.names.lxc;
  if (plan.stop) {
    // Held until the pass is sent: the post-stop bookkeeping swaps a layered volume's mounts, which must not
    // happen under the pass (it read an empty rootfs and deleted the target's).
    return plan.exclusive(async () => {
      if (plan.status === 'Frozen') await ctx.lxc.unfreeze(plan.view.names);
      await ctx.lxc.stop(lxcName, { force: false, timeoutS: 30 });
      await send();
    });
  }
  if (plan.status !== 'Frozen') await ctx.lxc.freeze(plan.view.names);
  try {
    await send();
  } finally {
    if (plan.status !== 'Frozen') await ctx.lxc.unfreeze(plan.view.names).catch((e: Error) => ctx.log.warn('Failed to unfreeze the migration source', { instance: lxcName, err: e.message }));
  }
}

async function sendIndex(ctx: InstanceContext, req: SourceRequest, fs: Channel, instanceOnly: boolean): Promise<void> {
  const config = await backupConfig(ctx, req.project, req.name, !instanceOnly && req.snapshot === undefined);
  await fs.send(Buffer.from(JSON.stringify({ config })));
  await fs.barrier();
  const reply = JSON.parse((await fs.readAll()).toString() || '{}') as { StatusCode?: number; Error?: string };
  if (reply.StatusCode !== 200) throw new Error(`The target refused the migration: ${reply.Error || `status ${reply.StatusCode}`}`);
}

/** Runs the source side over connected control and fs channels. */
export async function runSource(ctx: InstanceContext, req: SourceRequest, ch: { control: Channel; fs: Channel }, op: OperationContext): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, req.project, req.name));
  const instanceOnly = req.post.instance_only === true || req.post.container_only === true;
  const snaps = instanceOnly || req.snapshot !== undefined ? [] : await listSnapshots(ctx, req.project, req.name);
  const status = req.snapshot === undefined ? (await runtimeState(ctx, view)).status : 'Stopped';
  const running = status !== 'Stopped';
  try {
    await ch.control.send(
      encodeHeader({
        fs: FsType.RSYNC,
        // criu NONE tells the target to expect the second pass of a running container.
        criu: running ? CriuType.NONE : undefined,
        idmap: [],
        snapshotNames: snaps.map((s) => s.name),
        snapshots: snaps.map(toMigSnapshot),
        predump: false,
        rsyncFeatures: { xattrs: true, delete: true, compress: true, bidirectional: true },
        indexHeaderVersion: 1,
      }),
    );
    const answer = decodeHeader(await ch.control.message());
    if (answer.fs !== FsType.RSYNC) throw new Error(`The target asked for storage transfer type ${answer.fs}; lodge sends rsync only`);
    if ((answer.indexHeaderVersion ?? 0) >= 1) await sendIndex(ctx, req, ch.fs, instanceOnly);
    const plan: SendPlan = {
      view,
      features: featuresOf(answer.rsyncFeatures),
      status: status === 'Frozen' ? 'Frozen' : 'Running',
      stop: req.stopForFinalPass === true,
      exclusive: req.exclusive,
      progress: (n) => op.setMetadata({ fs_progress: `${view.rec.name}: ${(n / 1e6).toFixed(2)}MB` }),
    };
    const wanted = new Set(answer.snapshotNames.length > 0 || answer.refresh ? answer.snapshotNames : snaps.map((s) => s.name));
    for (const s of snaps.filter((x) => wanted.has(x.name))) {
      const path = await ctx.pools.mountPath(view.rec.pool, 'containers-snapshots', snapshotVolume(req.project, req.name, s.name));
      await rsyncSend(ctx.runner, { path, channel: ch.fs, features: plan.features, progress: plan.progress });
    }
    const [kind, volume] = req.snapshot === undefined ? (['containers', view.names.volume] as const) : (['containers-snapshots', snapshotVolume(req.project, req.name, req.snapshot)] as const);
    // Each pass reads a view opened for it: a running layered rootfs is shown shifted to its container, and a
    // fresh view sees what the container wrote since the last one.
    const sendMain = (tolerateVanished: boolean): Promise<void> =>
      ctx.pools.withReadView(view.rec.pool, kind, volume, (path) => rsyncSend(ctx.runner, { path, channel: ch.fs, features: plan.features, progress: plan.progress, tolerateVanished }));
    await sendMain(running);
    if (running) await finalPass(ctx, plan, () => sendMain(false));
    const verdict = decodeControl(await ch.control.message());
    if (!verdict.success) throw new Error(verdict.message || 'The target reported a failed migration');
  } catch (e) {
    await ch.control.send(encodeControl(false, (e as Error).message)).catch(() => undefined);
    if (running && req.stopForFinalPass) await restartAfterFailure(ctx, req);
    throw e;
  }
}

/** A failed transfer leaves the source as it was: running. */
async function restartAfterFailure(ctx: InstanceContext, req: SourceRequest): Promise<void> {
  const view = await ctx.store.read((tx) => loadView(ctx, tx, req.project, req.name));
  if ((await runtimeState(ctx, view)).status !== 'Stopped') return;
  await startInstance(ctx, req.project, req.name, {}).catch((e: Error) => ctx.log.error('Failed to restart the source of a failed migration', { instance: req.name, err: e.message }));
}
