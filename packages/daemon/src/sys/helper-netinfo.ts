// lodge-helper netinfo: the network state (addresses, counters) of running containers, read inside their namespaces.
import type { InstanceStateNetwork } from '@lodge/api';
import { checkPid, FileError, runHelper, type HelperOptions } from './helper.js';

export function netinfoArgs(pids: number[]): string[] {
  const unique = [...new Set(pids)];
  if (unique.length === 0) throw new RangeError('no pid');
  const args = ['netinfo'];
  for (const pid of unique) {
    checkPid(pid);
    args.push('--pid', String(pid));
  }
  return args;
}

function isNetwork(v: unknown): v is InstanceStateNetwork {
  if (!v || typeof v !== 'object') return false;
  const n = v as Partial<InstanceStateNetwork>;
  return (
    Array.isArray(n.addresses) &&
    n.addresses.every((a) => a && typeof a.family === 'string' && typeof a.address === 'string' && typeof a.netmask === 'string' && typeof a.scope === 'string') &&
    !!n.counters &&
    typeof n.counters === 'object' &&
    Object.values(n.counters).every((c) => typeof c === 'number') &&
    typeof n.hwaddr === 'string' &&
    typeof n.host_name === 'string' &&
    typeof n.mtu === 'number' &&
    typeof n.state === 'string' &&
    typeof n.type === 'string'
  );
}

function checkNetworks(v: unknown): Record<string, InstanceStateNetwork> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(isNetwork)) throw new FileError('lodge-helper netinfo: unexpected output', 0);
  return v as Record<string, InstanceStateNetwork>;
}

/** Parses netinfo's stdout for the pids asked (one pid: the bare interface map; several, or --serve: keyed by pid). */
export function parseNetinfo(stdout: string, pids: number[], keyed = new Set(pids).size > 1): Map<number, Record<string, InstanceStateNetwork>> {
  const unique = [...new Set(pids)];
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    throw new FileError(`lodge-helper netinfo: not JSON: ${stdout.slice(0, 200)}`, 0);
  }
  const out = new Map<number, Record<string, InstanceStateNetwork>>();
  if (!keyed) {
    out.set(unique[0]!, checkNetworks(v));
    return out;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FileError('lodge-helper netinfo: unexpected output', 0);
  for (const [k, nets] of Object.entries(v)) {
    const pid = Number(k);
    if (unique.includes(pid)) out.set(pid, checkNetworks(nets));
  }
  return out;
}

/**
 * The interfaces of running containers (by init pid) as LXD's state.network, in one helper
 * process however many pids (host_name is left "" for the caller to fill from volatile
 * config). Pids that could not be read (stopped meanwhile, not a container) are left out.
 */
export async function netInfo(pids: number[], h: HelperOptions = {}): Promise<Map<number, Record<string, InstanceStateNetwork>>> {
  if (pids.length === 0) return new Map();
  try {
    return parseNetinfo(await runHelper(netinfoArgs(pids), h, 10_000), pids);
  } catch (e) {
    // One pid reports its failure as the exit status; several leave failures out.
    if (e instanceof FileError && new Set(pids).size === 1 && e.errno !== 0) return new Map();
    throw e;
  }
}
