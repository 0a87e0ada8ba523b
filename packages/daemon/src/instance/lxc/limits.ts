// Resource limits: instance config (limits.*) to cgroup v1 settings, in the order they must be written.
import { isTrue } from '../../config/validators.js';
import { parseByteSize } from '../../config/units.js';

export interface HostResources {
  memoryBytes: number;
  cpus: number;
}

/** A cgroup v1 file and the value to write; "-1" removes a limit. */
export interface CgroupSetting {
  key: string;
  value: string;
}

export function memoryBytes(value: string, host: HostResources): number {
  if (value.endsWith('%')) return Math.floor((host.memoryBytes / 100) * Number(value.slice(0, -1)));
  return parseByteSize(value);
}

/** "2" → "0-1" (the first N host CPUs); a set is passed through. */
export function cpuSet(value: string, host: HostResources): string {
  if (!/^\d+$/.test(value)) return value;
  const n = Math.min(Number(value), host.cpus);
  return n <= 1 ? '0' : `0-${n - 1}`;
}

/** LXD's CPU shares/quota: allowance "50%" → shares, "25ms/100ms" → CFS quota; priority lowers shares. */
export function cpuTime(allowance: string, priority: string): { shares: number; quota: number; period: number } {
  let shares = -(10 - (priority === '' ? 10 : Number(priority)));
  let quota = -1;
  let period = 100_000;
  if (allowance.endsWith('%')) shares += Math.floor((1024 / 100) * Number(allowance.slice(0, -1)));
  else if (allowance !== '') {
    const m = /^(\d+)ms\/(\d+)ms$/.exec(allowance);
    quota = Number(m?.[1] ?? 0) * 1000;
    period = Number(m?.[2] ?? 100) * 1000;
    shares += 1024;
  } else shares += 1024;
  return { shares: Math.max(shares, 2), quota, period };
}

function memorySettings(config: Record<string, string>, host: HostResources): CgroupSetting[] {
  const limit = config['limits.memory'] ?? '';
  const soft = config['limits.memory.enforce'] === 'soft';
  const swap = config['limits.memory.swap'] ?? 'true';
  const out: CgroupSetting[] = [];
  if (limit === '') {
    out.push({ key: 'memory.memsw.limit_in_bytes', value: '-1' }, { key: 'memory.limit_in_bytes', value: '-1' }, { key: 'memory.soft_limit_in_bytes', value: '-1' });
  } else {
    const bytes = memoryBytes(limit, host);
    // memsw may never be below the memory limit: open it up first, then set both.
    out.push({ key: 'memory.memsw.limit_in_bytes', value: '-1' });
    if (soft) {
      out.push({ key: 'memory.limit_in_bytes', value: '-1' }, { key: 'memory.soft_limit_in_bytes', value: String(bytes) });
    } else {
      out.push({ key: 'memory.limit_in_bytes', value: String(bytes) }, { key: 'memory.soft_limit_in_bytes', value: String(Math.floor(bytes * 0.9)) });
      if (!isTrue(swap)) out.push({ key: 'memory.memsw.limit_in_bytes', value: String(bytes) });
    }
  }
  const prio = config['limits.memory.swap.priority'];
  const swappiness = !isTrue(swap) ? 0 : prio ? 70 - Number(prio) : 60;
  out.push({ key: 'memory.swappiness', value: String(swappiness) });
  return out;
}

function cpuSettings(config: Record<string, string>, host: HostResources): CgroupSetting[] {
  const t = cpuTime(config['limits.cpu.allowance'] ?? '', config['limits.cpu.priority'] ?? '');
  const out: CgroupSetting[] = [
    { key: 'cpu.shares', value: String(t.shares) },
    { key: 'cpu.cfs_period_us', value: String(t.period) },
    { key: 'cpu.cfs_quota_us', value: String(t.quota) },
  ];
  const cpus = config['limits.cpu'];
  out.push({ key: 'cpuset.cpus', value: cpus ? cpuSet(cpus, host) : host.cpus <= 1 ? '0' : `0-${host.cpus - 1}` });
  return out;
}

/** Every limit the config implies, including resets of unset ones (for live updates). */
export function cgroupSettings(config: Record<string, string>, host: HostResources): CgroupSetting[] {
  const pids = config['limits.processes'];
  return [...memorySettings(config, host), ...cpuSettings(config, host), { key: 'pids.max', value: pids ? pids : 'max' }];
}

/** Keys whose change is applied by rewriting cgroup limits. */
export function isLimitKey(key: string): boolean {
  return key.startsWith('limits.memory') || key.startsWith('limits.cpu') || key === 'limits.processes';
}
