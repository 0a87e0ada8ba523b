// Memory inventory: /proc/meminfo, per-NUMA-node meminfo, and the online memory blocks (as LXD's resources.GetMemory).
import type { ResourcesMemory, ResourcesMemoryNode } from '@lodge/api';
import { join } from 'node:path';
import type { Host } from './host.js';
import { parseUnsigned } from './host.js';

export const sysDevicesNode = '/sys/devices/system/node';
export const sysDevicesMemory = '/sys/devices/system/memory';

/** The meminfo fields LXD uses; sizes in bytes, hugepage counts as plain numbers. */
export interface Meminfo {
  total: number;
  free: number;
  used: number;
  cached: number;
  buffers: number;
  hugepagesTotal: number;
  hugepagesFree: number;
  hugepagesSize: number;
}

const fields: Record<string, keyof Meminfo> = {
  MemTotal: 'total',
  MemFree: 'free',
  MemUsed: 'used',
  Cached: 'cached',
  Buffers: 'buffers',
  HugePages_Total: 'hugepagesTotal',
  HugePages_Free: 'hugepagesFree',
  Hugepagesize: 'hugepagesSize',
};

/** Parses /proc/meminfo and node meminfo ("Node 0 MemTotal:  123 kB": the key is the last word). */
export function parseMeminfo(text: string): Meminfo {
  const info: Meminfo = { total: 0, free: 0, used: 0, cached: 0, buffers: 0, hugepagesTotal: 0, hugepagesFree: 0, hugepagesSize: 0 };
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const field = fields[line.slice(0, i).trim().split(' ').pop() ?? ''];
    const m = /^(\d+)(?:\s*kB)?$/.exec(line.slice(i + 1).trim());
    if (field && m?.[1]) info[field] = Number(m[1]) * (m[0].endsWith('kB') ? 1024 : 1);
  }
  return info;
}

/**
 * Memory from the online memory blocks below dir (block size × count), 0 when the host
 * has no memory block devices. MemTotal leaves out what the kernel reserved for itself,
 * so LXD prefers this figure: the installed memory.
 */
export function onlineBlockMemory(host: Host, dir: string): number {
  const blockSize = parseUnsigned(host.trimmed(join(sysDevicesMemory, 'block_size_bytes')), 16) ?? 0;
  if (blockSize === 0) return 0;
  let online = 0;
  for (const name of host.list(dir)) {
    if (!name.startsWith('memory')) continue;
    const p = join(dir, name, 'online');
    // Read first, look why only on failure: there are hundreds of blocks on a big host.
    const state = host.trimmed(p);
    if (state === '1') online++;
    // A block without the attribute does not count; an unreadable one makes the count
    // meaningless, so MemTotal is used instead, as LXD does.
    else if (state === undefined && host.exists(p)) return 0;
  }
  return blockSize * online;
}

const minus = (a: number, ...b: number[]): number => Math.max(0, b.reduce((x, y) => x - y, a));

function readNode(host: Host, name: string, hugepageSize: number): ResourcesMemoryNode | undefined {
  const dir = join(sysDevicesNode, name);
  const m = /^node(\d+)$/.exec(name);
  const text = host.text(join(dir, 'meminfo'));
  if (!m || text === undefined) return undefined;
  const node = parseMeminfo(text);
  return {
    numa_node: Number(m[1]),
    // Node meminfo has no page size; the system-wide one applies.
    hugepages_used: minus(node.hugepagesTotal, node.hugepagesFree) * hugepageSize,
    hugepages_total: node.hugepagesTotal * hugepageSize,
    used: node.used,
    total: onlineBlockMemory(host, dir) || node.total,
  };
}

export function readMemory(host: Host): ResourcesMemory {
  const info = parseMeminfo(host.text('/proc/meminfo') ?? '');
  const total = onlineBlockMemory(host, sysDevicesMemory) || info.total;
  const size = info.hugepagesSize;
  const memory: ResourcesMemory = {
    hugepages_total: info.hugepagesTotal * size,
    hugepages_used: minus(info.hugepagesTotal, info.hugepagesFree) * size,
    hugepages_size: size,
    used: minus(total, info.free, info.cached, info.buffers),
    total,
  };
  const nodes = host
    .list(sysDevicesNode)
    .map((name) => readNode(host, name, size))
    .filter((n): n is ResourcesMemoryNode => n !== undefined);
  return nodes.length ? { nodes, ...memory } : memory;
}
