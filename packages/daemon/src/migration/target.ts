// Migration target: answers the header, accepts the index, receives each volume by rsync, records the instance.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InstancesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { SnapshotRecord } from '../db/records.js';
import type { InstanceContext } from '../instance/context.js';
import type { SourcePlan, SourcePlanner } from '../instance/create.js';
import { snapshotScope, snapshotVolume } from '../instance/naming.js';
import { criuStatus } from '../sys/criu.js';
import { shiftTree } from '../sys/helper-shift.js';
import type { IdmapEntry } from '../sys/idmap.js';
import type { Channel } from './channel.js';
import { CriuType, FsType, decodeHeader, encodeHeader, type MigrationHeader } from './messages.js';
import { rsyncRecv } from './rsync.js';
import { featuresOf } from './source.js';
import { fromMigSnapshot } from './snapshot-mapping.js';

export interface TargetChannels {
  control: Channel;
  fs: Channel;
}

/** Header exchange: refuses live (CRIU) transfers and non-rsync filesystems with a clear reason. */
async function negotiate(ctx: InstanceContext, ch: TargetChannels): Promise<MigrationHeader> {
  const offer = decodeHeader(await ch.control.message());
  if (offer.criu === CriuType.CRIU_RSYNC || offer.criu === CriuType.PHAUL) {
    const criu = await criuStatus(ctx.runner);
    throw ApiError.badRequest(`Live migration needs CRIU: ${criu.ok ? 'lodge does not implement live migration' : criu.reason}; copy or move the instance stopped (--stateless)`);
  }
  await ch.control.send(
    encodeHeader({
      fs: FsType.RSYNC,
      criu: offer.criu === CriuType.NONE ? CriuType.NONE : undefined,
      idmap: [],
      snapshotNames: offer.snapshotNames,
      snapshots: offer.snapshots,
      predump: false,
      rsyncFeatures: { xattrs: true, delete: true, compress: true, bidirectional: true },
      refresh: false,
      indexHeaderVersion: Math.min(offer.indexHeaderVersion ?? 0, 1),
    }),
  );
  if ((offer.indexHeaderVersion ?? 0) >= 1) {
    // The index (backup.yaml as JSON) tells us nothing the create request does not; it is read and acknowledged.
    await ch.fs.readAll();
    await ch.fs.send(Buffer.from(JSON.stringify({ StatusCode: 200, Error: '', Refresh: false })));
    await ch.fs.barrier();
  }
  return offer;
}

function idmapOf(offer: MigrationHeader): IdmapEntry[] {
  return offer.idmap.map((m) => ({ Isuid: m.isuid, Isgid: m.isgid, Hostid: m.hostid, Nsid: m.nsid, Maprange: m.maprange }));
}

/** The planner for source.type=migration: the volume is filled by the transfer. */
export interface TargetSession {
  /** Resolves once the websockets are there (dialled in pull mode, accepted in push mode). */
  channels: () => Promise<TargetChannels>;
  progress: (md: Record<string, unknown>) => void;
  /** Set from the offer: the source was running (it sends criu NONE and a final pass). */
  sourceRunning?: boolean;
}

export function migrationPlanner(ctx: InstanceContext, session: TargetSession): SourcePlanner {
  const { channels, progress } = session;
  return async (_tx, project, req: InstancesPost): Promise<SourcePlan> => {
    if (req.source?.refresh) throw ApiError.badRequest('Refreshing a copy from another server is not supported yet');
    const received: SnapshotRecord[] = [];
    return {
      config: {},
      architecture: req.architecture,
      fill: async (pool, volume) => {
        const ch = await channels();
        const offer = await negotiate(ctx, ch);
        session.sourceRunning = offer.criu === CriuType.NONE;
        const features = featuresOf(offer.rsyncFeatures);
        const count = (label: string) => (n: number): void => progress({ fs_progress: `${label}: ${(n / 1e6).toFixed(2)}MB` });
        const shift = idmapOf(offer);
        try {
          for (const s of offer.snapshots) {
            const path = await ctx.pools.mountPath(pool, 'containers-snapshots', snapshotVolume(project, req.name!, s.name));
            await mkdir(path, { recursive: true, mode: 0o711 });
            await rsyncRecv(ctx.runner, { path, channel: ch.fs, features, progress: count(s.name) });
            // LXD sends its shifted host ids; lodge keeps the container's own ids on disk.
            if (shift.length > 0) await shiftTree(path, shift);
            received.push(fromMigSnapshot(s));
          }
          const main = await ctx.pools.mountPath(pool, 'containers', volume);
          await mkdir(dirname(main), { recursive: true });
          await mkdir(main, { mode: 0o711 });
          // A running source (criu NONE) sends the main volume twice: live, then the final pass.
          const passes = offer.criu === CriuType.NONE ? 2 : 1;
          for (let i = 0; i < passes; i++) await rsyncRecv(ctx.runner, { path: main, channel: ch.fs, features, progress: count(req.name ?? volume), tolerateVanished: i < passes - 1 });
          if (shift.length > 0) await shiftTree(main, shift);
        } catch (e) {
          await ctx.pools.deleteVolume(pool, 'containers-snapshots', snapshotScope(project, req.name!));
          throw e;
        }
      },
      after: async (project2, name) => {
        const scope = snapshotScope(project2, name);
        await ctx.store.tx(async (tx) => {
          for (const s of received) tx.snapshots.put(scope, s.name, s);
        });
      },
    };
  };
}
