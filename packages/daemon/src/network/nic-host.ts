// Host side of nic devices: veth pairs and macvlan devices moved into a running container, and tc rate limits.
import { createHash } from 'node:crypto';
import type { Runner } from '../sys/runner.js';
import { IpTool } from './netlink.js';

/** LXD's rate units (bit/s, or bytes/s with B) to a number of bits per second. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kMGT]?)(bit|B)?$/.exec(value.trim());
  if (!m) throw new Error(`Invalid rate "${value}"`);
  const mult = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'k' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * mult * (m[3] === 'B' ? 8 : 1));
}

/** The ifb device that carries a nic's egress limit when the kernel has no police action (named from the host veth). */
export function ifbName(hostName: string): string {
  return `lfb${createHash('sha256').update(hostName).digest('hex').slice(0, 8)}`;
}

export interface HotplugNic {
  /** Interface name inside the container. */
  name: string;
  hwaddr: string;
  mtu?: string;
}

export class NicHost {
  private readonly ip: IpTool;

  constructor(private readonly runner: Runner) {
    this.ip = new IpTool(runner);
  }

  private temp(): string {
    return `lodge${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0')}`;
  }

  /** Moves a freshly made interface into the container's namespace and configures it there. */
  private async moveIn(pid: number, tmp: string, nic: HotplugNic): Promise<void> {
    await this.ip.ip(['link', 'set', 'dev', tmp, 'netns', `/proc/${pid}/ns/net`]);
    const inside = new IpTool(this.runner, pid);
    const args = ['link', 'set', 'dev', tmp, 'name', nic.name, 'address', nic.hwaddr];
    if (nic.mtu) args.push('mtu', nic.mtu);
    await inside.ip(args);
    await inside.setUp(nic.name);
  }

  /** A veth pair: the host side (attached to the bridge if any) stays, the other goes into the container. */
  async addVeth(pid: number, hostName: string, bridge: string | undefined, nic: HotplugNic): Promise<void> {
    const tmp = this.temp();
    await this.ip.ip(['link', 'add', 'dev', hostName, ...(nic.mtu ? ['mtu', nic.mtu] : []), 'type', 'veth', 'peer', 'name', tmp, ...(nic.mtu ? ['mtu', nic.mtu] : [])]);
    try {
      if (bridge) await this.ip.setMaster(hostName, bridge);
      await this.ip.setUp(hostName);
      await this.moveIn(pid, tmp, nic);
    } catch (e) {
      await this.ip.deleteLink(hostName).catch(() => undefined);
      throw e;
    }
  }

  async addMacvlan(pid: number, parent: string, mode: string, nic: HotplugNic): Promise<void> {
    const tmp = this.temp();
    await this.ip.ip(['link', 'add', 'dev', tmp, 'link', parent, 'type', 'macvlan', 'mode', mode]);
    try {
      await this.moveIn(pid, tmp, nic);
    } catch (e) {
      await this.ip.deleteLink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Deletes a host veth (its peer in the container goes with it). */
  async removeHost(hostName: string): Promise<void> {
    await this.ip.deleteLink(hostName);
    await this.ip.deleteLink(ifbName(hostName)).catch(() => undefined);
  }

  /**
   * After the container stopped: the host end of a nic's veth, if still there, and its ifb. LXC deletes the veths it
   * made but not hot-plugged ones, whose host end would otherwise live until the kernel gets round to tearing the
   * container's namespace down, which is asynchronous (and never happens while anything still holds the namespace).
   * Only a veth is deleted: a host_name naming some other interface is not ours.
   */
  async removeStopped(hostName: string): Promise<void> {
    if ((await this.ip.link(hostName))?.linkinfo?.info_kind === 'veth') await this.ip.deleteLink(hostName);
    await this.ip.deleteLink(ifbName(hostName)).catch(() => undefined);
  }

  async removeInside(pid: number, name: string): Promise<void> {
    await new IpTool(this.runner, pid).deleteLink(name);
  }

  /**
   * limits.ingress shapes what the host sends into the container (htb on the host veth); limits.egress polices what the
   * container sends (a police filter, or an htb on an ifb device the traffic is redirected to where police is missing).
   */
  async setLimits(hostName: string, ingress: string | undefined, egress: string | undefined): Promise<void> {
    await this.clearLimits(hostName);
    if (ingress) {
      await this.ip.tc(['qdisc', 'add', 'dev', hostName, 'root', 'handle', '1:0', 'htb', 'default', '10']);
      await this.ip.tc(['class', 'add', 'dev', hostName, 'parent', '1:0', 'classid', '1:10', 'htb', 'rate', `${parseRate(ingress)}bit`]);
    }
    if (egress) {
      const rate = `${parseRate(egress)}bit`;
      await this.ip.tc(['qdisc', 'add', 'dev', hostName, 'handle', 'ffff:0', 'ingress']);
      const match = ['filter', 'add', 'dev', hostName, 'parent', 'ffff:0', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0'];
      const policed = await this.ip.tc([...match, 'police', 'rate', rate, 'burst', '1024k', 'mtu', '64kb', 'drop']).then(
        () => true,
        () => false,
      );
      if (!policed) {
        const ifb = ifbName(hostName);
        await this.ip.ip(['link', 'add', 'dev', ifb, 'type', 'ifb']);
        await this.ip.ip(['link', 'set', 'dev', ifb, 'alias', `lodge:${hostName}`]);
        await this.ip.setUp(ifb);
        await this.ip.tc(['qdisc', 'add', 'dev', ifb, 'root', 'handle', '1:0', 'htb', 'default', '10']);
        await this.ip.tc(['class', 'add', 'dev', ifb, 'parent', '1:0', 'classid', '1:10', 'htb', 'rate', rate]);
        await this.ip.tc([...match, 'action', 'mirred', 'egress', 'redirect', 'dev', ifb]);
      }
    }
  }

  async clearLimits(hostName: string): Promise<void> {
    if (await this.ip.exists(hostName)) {
      await this.ip.tc(['qdisc', 'del', 'dev', hostName, 'root']).catch(() => undefined);
      await this.ip.tc(['qdisc', 'del', 'dev', hostName, 'ingress']).catch(() => undefined);
    }
    await this.ip.deleteLink(ifbName(hostName)).catch(() => undefined);
  }

  /** ifb devices left by nics whose host veth is gone (the container stopped while lodged was down). */
  async sweepIfbs(): Promise<void> {
    for (const l of await this.ip.links()) {
      const target = /^lodge:(.+)$/.exec(l.ifalias ?? '')?.[1];
      if (l.linkinfo?.info_kind === 'ifb' && target && !(await this.ip.exists(target))) await this.ip.deleteLink(l.ifname).catch(() => undefined);
    }
  }
}
