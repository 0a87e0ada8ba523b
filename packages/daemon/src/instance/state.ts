// Instance runtime state for the API: status, pid, processes, cpu, memory, disk, network.
import { readFile } from 'node:fs/promises';
import type { InstanceState, InstanceStateNetwork } from '@lodge/api';
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

/** Interfaces of the container's network namespace, read from /proc/<pid>/net (no process spawned). */
async function network(pid: number): Promise<Record<string, InstanceStateNetwork>> {
  const dev = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  const out: Record<string, InstanceStateNetwork> = {};
  for (const line of dev.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    out[m[1]] = {
      addresses: [],
      counters: {
        bytes_received: f[0] ?? 0,
        packets_received: f[1] ?? 0,
        errors_received: f[2] ?? 0,
        packets_dropped_inbound: f[3] ?? 0,
        bytes_sent: f[8] ?? 0,
        packets_sent: f[9] ?? 0,
        errors_sent: f[10] ?? 0,
        packets_dropped_outbound: f[11] ?? 0,
      },
      hwaddr: '',
      host_name: '',
      mtu: 0,
      state: 'up',
      type: m[1] === 'lo' ? 'loopback' : 'broadcast',
    };
  }
  return out;
}

export type NetworkReader = (pid: number, base: Record<string, InstanceStateNetwork>, view: InstanceView) => Promise<Record<string, InstanceStateNetwork>>;

/** Later subsystems (managed networks) fill in addresses, MACs and host-side names. */
export const networkReaders: NetworkReader[] = [];

export async function instanceState(ctx: InstanceContext, view: InstanceView, rt: RuntimeState, opts: { waitForDisk: boolean }): Promise<InstanceState> {
  const disk = await diskUsage(ctx, view, opts.waitForDisk);
  const diskMap: Record<string, { usage: number }> = disk === undefined ? {} : { root: { usage: disk } };
  if (rt.status === 'Stopped') {
    return { status: 'Stopped', status_code: statusCodes.Stopped!, disk: diskMap, memory: { usage: 0, usage_peak: 0, swap_usage: 0, swap_usage_peak: 0 }, network: null, pid: 0, processes: 0, cpu: { usage: 0 } };
  }
  const u = await ctx.lxc.usage(view.names.cgroupPayload);
  let net = await network(rt.pid);
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
