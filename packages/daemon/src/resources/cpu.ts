// CPU inventory: sockets, cores and threads from /sys/devices/system/cpu, names from /proc/cpuinfo (as LXD's resources.GetCPU).
import type { ResourcesCPU, ResourcesCPUCache, ResourcesCPUCore, ResourcesCPUSocket, ResourcesCPUThread } from '@lodge/api';
import { join } from 'node:path';
import type { Host } from './host.js';
import { omitEmpty } from './omit.js';
import { dmiProcessor } from './smbios.js';

export const sysDevicesCpu = '/sys/devices/system/cpu';

/** "0-3,8" to [0, 1, 2, 3, 8]; a malformed list counts as empty. */
export function parseCpuset(s: string): number[] {
  const out: number[] = [];
  for (const chunk of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(chunk);
    if (!m) return [];
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

/**
 * /proc/cpuinfo read the way LXD reads it: one forward pass, where each newly seen socket
 * takes vendor and name from the next block whose "processor" number equals the socket
 * number. Odd, but it is what makes our names match LXD's on multi-socket hosts.
 */
class CpuInfoScanner {
  private pos = 0;
  constructor(private readonly lines: string[]) {}

  identity(socket: number): { vendor: string; name: string } {
    let vendor = '';
    let name = '';
    while (this.pos < this.lines.length) {
      const line = (this.lines[this.pos++] ?? '').trim();
      if (!line.startsWith('processor') || splitLine(line).value !== String(socket)) continue;
      while (this.pos < this.lines.length) {
        const field = (this.lines[this.pos++] ?? '').trim();
        if (field === '') break;
        if (vendor !== '' && name !== '') continue;
        const { key, value } = splitLine(field);
        if (key === 'vendor_id') vendor = value;
        else if (key === 'model name' || key === 'cpu') name = value;
      }
      break;
    }
    return { vendor, name };
  }
}

function splitLine(line: string): { key: string; value: string } {
  const i = line.indexOf(':');
  return i < 0 ? { key: line.trim(), value: '' } : { key: line.slice(0, i).trim(), value: line.slice(i + 1).trim() };
}

interface ThreadEntry {
  path: string;
  id: number;
  socket: number;
  core: number;
  die: number;
  online: boolean;
  numa: number;
}

/** The NUMA node a CPU belongs to: its "nodeN" link (0 on single-node hosts). */
function cpuNumaNode(host: Host, path: string): number {
  for (const name of host.list(path)) {
    const m = /^node(\d+)$/.exec(name);
    if (m && host.exists(join(path, name, 'numastat'))) return Number(m[1]);
  }
  return 0;
}

function readThread(host: Host, name: string): ThreadEntry | undefined {
  const path = join(sysDevicesCpu, name);
  const id = /^cpu(\d+)$/.exec(name);
  if (!id || !host.exists(join(path, 'topology'))) return undefined;
  // -1 (or a missing file) means the architecture does not report that level.
  const topo = (f: string): number => Math.max(0, host.int(join(path, 'topology', f)) ?? 0);
  const online = host.exists(join(path, 'online')) ? host.uint(join(path, 'online')) !== 0 : true;
  return { path, id: Number(id[1]), socket: topo('physical_package_id'), core: topo('core_id'), die: topo('die_id'), online, numa: cpuNumaNode(host, path) };
}

export function readCpuCaches(host: Host, path: string): ResourcesCPUCache[] {
  const caches: ResourcesCPUCache[] = [];
  for (const name of host.list(path)) {
    const dir = join(path, name);
    if (!host.exists(join(dir, 'level'))) continue;
    const size = /^(\d+)(K?)$/.exec(host.trimmed(join(dir, 'size')) ?? '');
    caches.push({
      level: host.uint(join(dir, 'level')) ?? 0,
      type: host.trimmed(join(dir, 'type')) ?? 'Unknown',
      size: size ? Number(size[1]) * (size[2] === 'K' ? 1024 : 1) : 0,
    });
  }
  return caches;
}

/** kHz from the first of the cpufreq files present, as MHz (0 when none). */
function frequency(host: Host, path: string, files: string[]): number {
  for (const f of files) {
    const p = join(path, 'cpufreq', f);
    if (host.exists(p)) return Math.floor((host.uint(p) ?? 0) / 1000);
  }
  return 0;
}

interface SocketAcc {
  first: ThreadEntry;
  vendor: string;
  name: string;
  cores: Map<string, { first: ThreadEntry; threads: ResourcesCPUThread[] }>;
}

function socketOf(host: Host, number: number, s: SocketAcc, dmi: () => { vendor: string; model: string }): ResourcesCPUSocket {
  const cores: ResourcesCPUCore[] = [...s.cores.values()]
    .sort((a, b) => a.first.core - b.first.core || a.first.die - b.first.die)
    .map((c) => omitEmpty({ core: c.first.core, die: c.first.die, threads: c.threads, frequency: frequency(host, c.first.path, ['scaling_cur_freq']) }, ['frequency']));
  const current = cores.map((c) => c.frequency ?? 0).filter((f) => f > 0);
  const cacheDir = join(s.first.path, 'cache');
  const socket: ResourcesCPUSocket = {
    name: s.name || dmi().model,
    vendor: s.vendor || dmi().vendor,
    socket: number,
    cache: host.exists(cacheDir) ? readCpuCaches(host, cacheDir) : [],
    cores,
    frequency: current.length ? Math.floor(current.reduce((a, b) => a + b, 0) / current.length) : 0,
    frequency_minimum: frequency(host, s.first.path, ['cpuinfo_min_freq', 'scaling_min_freq']),
    frequency_turbo: frequency(host, s.first.path, ['cpuinfo_max_freq', 'scaling_max_freq']),
  };
  return omitEmpty(socket, ['name', 'vendor', 'cache', 'frequency', 'frequency_minimum', 'frequency_turbo']);
}

export function readCpu(host: Host): ResourcesCPU {
  const isolatedText = host.trimmed(join(sysDevicesCpu, 'isolated')) ?? '';
  const isolated = new Set(isolatedText === '' ? [] : parseCpuset(isolatedText));
  const threads = host
    .list(sysDevicesCpu)
    .map((n) => readThread(host, n))
    .filter((t): t is ThreadEntry => t !== undefined);
  const cpuinfo = new CpuInfoScanner((host.text('/proc/cpuinfo') ?? '').split('\n'));
  // The SMBIOS table is only consulted when /proc/cpuinfo has no vendor or name (arm64).
  let dmi: { vendor: string; model: string } | undefined;
  const dmiOnce = (): { vendor: string; model: string } => (dmi ??= dmiProcessor(host));

  // Group in directory order (cpu0, cpu1, cpu10, ...), which decides thread numbering within a core.
  const sockets = new Map<number, SocketAcc>();
  for (const t of threads) {
    let socket = sockets.get(t.socket);
    if (!socket) {
      const { vendor, name } = cpuinfo.identity(t.socket);
      sockets.set(t.socket, (socket = { first: t, vendor, name, cores: new Map() }));
    }
    const key = `${t.die}_${t.core}`;
    let core = socket.cores.get(key);
    if (!core) socket.cores.set(key, (core = { first: t, threads: [] }));
    core.threads.push({ id: t.id, numa_node: t.numa, thread: core.threads.length, online: t.online, isolated: isolated.has(t.id) });
  }
  const out = [...sockets.entries()].sort(([a], [b]) => a - b).map(([number, s]) => socketOf(host, number, s, dmiOnce));
  return { architecture: host.uname.machine, sockets: out, total: threads.length };
}
