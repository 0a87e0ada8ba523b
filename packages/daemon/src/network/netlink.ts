// The `ip` and `tc` tools, in the daemon's network namespace or (with a pid) inside a container's.
import { writeFile } from 'node:fs/promises';
import type { Runner } from '../sys/runner.js';

export interface LinkStats {
  bytes: number;
  packets: number;
  errors: number;
  dropped: number;
}

export interface LinkInfo {
  ifname: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  address?: string;
  operstate?: string;
  master?: string;
  link_type?: string;
  link_index?: number;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  stats64?: { rx: LinkStats; tx: LinkStats };
}

export interface AddrEntry {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
}

export interface AddrInfo {
  ifname: string;
  addr_info: AddrEntry[];
}

export class IpTool {
  /** @param pid when set, commands run in the network namespace of that process (a container's init). */
  constructor(
    private readonly runner: Runner,
    private readonly pid?: number,
  ) {}

  /** Runs `ip ARGS` (or `tc ARGS`) and returns stdout. */
  async ip(args: string[], tool: 'ip' | 'tc' = 'ip'): Promise<string> {
    if (this.pid === undefined) return (await this.runner.run(tool, args, { timeoutMs: 30_000 })).stdout;
    return (await this.runner.run('nsenter', [`--net=/proc/${this.pid}/ns/net`, '--', tool, ...args], { timeoutMs: 30_000 })).stdout;
  }

  tc(args: string[]): Promise<string> {
    return this.ip(args, 'tc');
  }

  async links(): Promise<LinkInfo[]> {
    return JSON.parse((await this.ip(['-j', '-d', '-s', 'link', 'show'])) || '[]') as LinkInfo[];
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    const out = await this.ip(['-j', '-d', '-s', 'link', 'show', 'dev', name]).catch(() => undefined);
    return out ? (JSON.parse(out) as LinkInfo[])[0] : undefined;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.link(name)) !== undefined;
  }

  async addrs(name?: string): Promise<AddrInfo[]> {
    const out = await this.ip(['-j', 'addr', 'show', ...(name ? ['dev', name] : [])]).catch(() => '[]');
    return JSON.parse(out || '[]') as AddrInfo[];
  }

  /**
   * Deletes a link; one that is not there counts as deleted. The delete is always tried (a failed look-up must not
   * skip it), and a failure is only an error while the link still exists: the kernel may remove it meanwhile (a veth
   * whose peer's namespace is being torn down).
   */
  async deleteLink(name: string): Promise<void> {
    try {
      await this.ip(['link', 'del', 'dev', name]);
    } catch (e) {
      if (await this.exists(name)) throw e;
    }
  }

  async setUp(name: string): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, 'up']);
  }

  async setMtu(name: string, mtu: string): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, 'mtu', mtu]);
  }

  async setHwaddr(name: string, mac: string): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, 'address', mac]);
  }

  async setMaster(name: string, master: string): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, 'master', master]);
  }

  async addAddr(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'add', cidr, 'dev', name]);
  }

  async delAddr(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'del', cidr, 'dev', name]);
  }

  /** Routes with proto static on a device (the extra routes a network adds). */
  async staticRoutes(name: string, family: 4 | 6): Promise<string[]> {
    const out = await this.ip([`-${family}`, '-j', 'route', 'show', 'dev', name, 'proto', 'static']).catch(() => '[]');
    return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst);
  }

  async addRoute(name: string, dst: string, family: 4 | 6): Promise<void> {
    await this.ip([`-${family}`, 'route', 'replace', dst, 'dev', name, 'proto', 'static']);
  }

  async delRoute(name: string, dst: string, family: 4 | 6): Promise<void> {
    await this.ip([`-${family}`, 'route', 'del', dst, 'dev', name, 'proto', 'static']);
  }
}

/** Writes a /proc/sys/net value (of the daemon's namespace); missing entries are ignored when allowed. */
export async function sysctl(path: string, value: string, ignoreMissing = false): Promise<void> {
  try {
    await writeFile(`/proc/sys/${path}`, value);
  } catch (e) {
    if (!(ignoreMissing && (e as NodeJS.ErrnoException).code === 'ENOENT')) throw e;
  }
}
