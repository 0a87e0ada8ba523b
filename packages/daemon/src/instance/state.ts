// Instance runtime state for the API: status, pid, processes, cpu, memory, disk, network.
import type { InstanceState, InstanceStateNetwork } from '@lodge/api';
import { NetinfoServer } from '../sys/netinfo-server.js';
import type { InstanceContext } from './context.js';
import type { RuntimeState } from './lxc/driver.js';
import { statusCodes, type InstanceView } from './view.js';

/** Root volume usage is costly to measure (du), so it is cached for a while per instance. */
const diskCache = new Map<string, { at: number; bytes: number | undefined; pending?: Promise<void> }>();
const diskTtlMs = 30_000;

async function diskUsage(ctx: InstanceContext, view: InstanceView, wait: boolean): Promise<number | undefined> {
  const key = `${view.project}/${view.rec.name}`;
  const hit = diskCache.get(key);
  const fresh = hit && Date.now() - hit.at < diskTtlMs;
  if (hit && (fresh || (!wait && hit.bytes !== undefined))) {
    if (!fresh && !hit.pending) hit.pending = refresh(ctx, view, key);
    return hit.bytes;
  }
  const p = refresh(ctx, view, key);
  if (wait) await p;
  return diskCache.get(key)?.bytes;
}

async function refresh(ctx: InstanceContext, view: InstanceView, key: string): Promise<void> {
  const bytes = await ctx.pools.volumeUsage(view.rec.pool, 'containers', view.names.volume).catch(() => undefined);
  diskCache.set(key, { at: Date.now(), bytes });
}

export function forgetDiskUsage(project: string, name: string): void {
  diskCache.delete(`${project}/${name}`);
}

/** One helper serves every request: `lxc list` would otherwise pay a process start for the interfaces. */
const netinfo = new NetinfoServer();

/** Interfaces of running containers by init pid, in one helper request (netlink inside each network namespace). */
export async function networksOf(pids: number[]): Promise<Map<number, Record<string, InstanceStateNetwork>>> {
  if (pids.length === 0) return new Map();
  return netinfo.read(pids).catch(() => new Map<number, Record<string, InstanceStateNetwork>>());
}

export type NetworkReader = (pid: number, base: Record<string, InstanceStateNetwork>, view: InstanceView) => Promise<Record<string, InstanceStateNetwork>>;

/** Later subsystems (managed networks) fill in addresses, MACs and host-side names. */
export const networkReaders: NetworkReader[] = [];

export async function instanceState(
  ctx: InstanceContext,
  view: InstanceView,
  rt: RuntimeState,
  opts: { waitForDisk: boolean; networks?: Map<number, Record<string, InstanceStateNetwork>> },
): Promise<InstanceState> {
  const disk = await diskUsage(ctx, view, opts.waitForDisk);
  const diskMap: Record<string, { usage: number }> = disk === undefined ? {} : { root: { usage: disk } };
  if (rt.status === 'Stopped') {
    return { status: 'Stopped', status_code: statusCodes.Stopped!, disk: diskMap, memory: { usage: 0, usage_peak: 0, swap_usage: 0, swap_usage_peak: 0 }, network: null, pid: 0, processes: 0, cpu: { usage: 0 } };
  }
  const u = await ctx.lxc.usage(view.names.cgroupPayload);
  let net = (opts.networks ?? (await networksOf([rt.pid]))).get(rt.pid) ?? {};
  for (const r of networkReaders) net = await r(rt.pid, net, view);
  return {
    status: rt.status,
    status_code: statusCodes[rt.status]!,
    disk: diskMap,
    memory: { usage: u.memory, usage_peak: u.memoryPeak, swap_usage: u.swap, swap_usage_peak: u.swapPeak },
    network: net,
    pid: rt.pid,
    processes: u.processes,
    cpu: { usage: u.cpuNs },
  };
}
