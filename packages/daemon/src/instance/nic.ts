// nic devices: resolved against managed networks, rendered as lxc.net sections at start, hot-plugged, validated,
// and reported in the instance state. MACs and host-side names are generated once and kept in volatile keys.
import { randomBytes } from 'node:crypto';
import type { Devices, InstanceStateNetwork } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { NetworkRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import { NicHost } from '../network/nic-host.js';
import { nicUsesNetwork } from '../network/service.js';
import { canonicalIp, contains, parseCidr, parseIp, subnetString } from '../util/ip.js';
import type { InstanceContext } from './context.js';
import type { HotplugHandler } from './hotplug.js';
import type { InstanceView } from './view.js';

/** What instance code needs from the network service. */
export interface NicNetworks {
  record(tx: Tx, name: string): Promise<NetworkRecord | undefined>;
  /** The network as the project sees it (none from a project with features.networks=true). */
  recordIn(tx: Tx, project: string, name: string): Promise<NetworkRecord | undefined>;
  refreshStaticHosts(): Promise<void>;
}

export interface ResolvedNic {
  device: string;
  nictype: 'bridged' | 'macvlan' | 'p2p';
  /** The bridge (bridged) or the host interface (macvlan). */
  parent?: string;
  /** Interface name inside the container. */
  name: string;
  hwaddr: string;
  hostName?: string;
  mtu?: string;
  mode: string;
  dev: Record<string, string>;
}

/** A random MAC in LXD's 00:16:3e prefix. */
export function randomMac(): string {
  return `00:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

export function randomHostName(): string {
  return `veth${randomBytes(4).toString('hex')}`;
}

function nicEntries(devices: Devices): [string, Record<string, string>][] {
  return Object.entries(devices)
    .filter(([, d]) => d.type === 'nic')
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The interface name inside the container: name=, else the one chosen before (volatile), else the next free ethN. */
function interfaceNames(devices: Devices, config: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  const nics = nicEntries(devices);
  for (const [dev, d] of nics) {
    const n = d.name || config[`volatile.${dev}.name`];
    if (n) {
      out.set(dev, n);
      used.add(n);
    }
  }
  for (const [dev] of nics) {
    if (out.has(dev)) continue;
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    out.set(dev, `eth${i}`);
    used.add(`eth${i}`);
  }
  return out;
}

async function resolve(ctx: InstanceContext, tx: Tx, device: string, dev: Record<string, string>, name: string, config: Record<string, string>): Promise<ResolvedNic> {
  let nictype = dev.nictype as ResolvedNic['nictype'] | undefined;
  let parent = dev.parent;
  let mtu = dev.mtu;
  if (dev.network) {
    const net = await ctx.networks?.record(tx, dev.network);
    if (!net) throw ApiError.badRequest(`Device "${device}": network "${dev.network}" not found`);
    if (net.type === 'bridge') {
      nictype = 'bridged';
      parent = net.name;
      mtu ||= net.config['bridge.mtu'];
    } else {
      nictype = 'macvlan';
      parent = net.config.parent;
      mtu ||= net.config.mtu;
    }
  }
  if (!nictype) throw ApiError.badRequest(`Device "${device}": nic devices need a "network" or a "nictype"`);
  if (nictype !== 'bridged' && nictype !== 'macvlan' && nictype !== 'p2p') throw ApiError.badRequest(`Device "${device}": nictype "${nictype}" is not supported`);
  return {
    device,
    nictype,
    parent,
    name,
    hwaddr: (dev.hwaddr || config[`volatile.${device}.hwaddr`] || '').toLowerCase(),
    hostName: nictype === 'macvlan' ? undefined : dev.host_name || config[`volatile.${device}.host_name`],
    mtu,
    mode: dev.mode || 'bridge',
    dev,
  };
}

/** Resolves every nic of the view and gives missing MACs, host names and interface names, stored in volatile keys. */
async function resolveAll(ctx: InstanceContext, view: InstanceView, freshHostNames: boolean): Promise<ResolvedNic[]> {
  const names = interfaceNames(view.expandedDevices, view.rec.config);
  const nics = await ctx.store.read(async (tx) => {
    const out: ResolvedNic[] = [];
    for (const [device, dev] of nicEntries(view.expandedDevices)) out.push(await resolve(ctx, tx, device, dev, names.get(device)!, view.rec.config));
    return out;
  });
  const volatile: Record<string, string> = {};
  for (const n of nics) {
    if (!n.hwaddr) volatile[`volatile.${n.device}.hwaddr`] = n.hwaddr = randomMac();
    if (n.nictype !== 'macvlan' && !n.dev.host_name && (freshHostNames || !n.hostName)) volatile[`volatile.${n.device}.host_name`] = n.hostName = randomHostName();
    if (!n.dev.name && view.rec.config[`volatile.${n.device}.name`] !== n.name) volatile[`volatile.${n.device}.name`] = n.name;
  }
  if (Object.keys(volatile).length > 0) {
    await ctx.store.tx(async (tx) => {
      const rec = await tx.instances.get(view.project, view.rec.name);
      if (rec) tx.instances.put(view.project, rec.name, { ...rec, config: { ...rec.config, ...volatile } });
    });
    Object.assign(view.rec.config, volatile);
  }
  return nics;
}

/** The lxc.net.N sections of one nic (without the prefix). */
export function lxcSection(n: ResolvedNic): Record<string, string> {
  const s: Record<string, string> = n.nictype === 'macvlan' ? { type: 'macvlan', 'macvlan.mode': n.mode } : { type: 'veth' };
  if (n.parent) s.link = n.parent;
  s.name = n.name;
  s.hwaddr = n.hwaddr;
  if (n.hostName) s['veth.pair'] = n.hostName;
  if (n.mtu) s.mtu = n.mtu;
  s.flags = 'up';
  return s;
}

export interface PreparedNics {
  sections: Record<string, string>[];
  /** Applies what needs the running container (rate limits on the host veths). */
  started(): Promise<void>;
}

/** Before a start: MACs and host names decided and stored, static DHCP entries written, lxc.net sections built. */
export async function prepareNics(ctx: InstanceContext, view: InstanceView): Promise<PreparedNics> {
  const nics = await resolveAll(ctx, view, true);
  for (const n of nics) {
    if (n.nictype !== 'p2p' && !n.parent) throw ApiError.badRequest(`Device "${n.device}": nic devices of nictype "${n.nictype}" need a "parent"`);
  }
  if (nics.length > 0) await ctx.networks?.refreshStaticHosts();
  const host = new NicHost(ctx.runner);
  return {
    sections: nics.map(lxcSection),
    started: async () => {
      for (const n of nics) {
        if (n.hostName && (n.dev['limits.ingress'] || n.dev['limits.egress'] || n.dev['limits.max'])) {
          await host.setLimits(n.hostName, n.dev['limits.ingress'] || n.dev['limits.max'], n.dev['limits.egress'] || n.dev['limits.max']);
        }
      }
    },
  };
}

/**
 * After a stop: host veths still there (hot-plugged ones, which LXC does not delete) and limits' ifb devices go, so
 * none is left once the stop returns; returns the volatile keys to drop.
 */
export async function nicsStopped(ctx: InstanceContext, view: InstanceView): Promise<Record<string, undefined>> {
  const host = new NicHost(ctx.runner);
  const drop: Record<string, undefined> = {};
  for (const [device, dev] of nicEntries(view.expandedDevices)) {
    const hostName = dev.host_name || view.rec.config[`volatile.${device}.host_name`];
    if (hostName) {
      // The container is down whatever happens here: a leftover veth is logged, not a failed stop.
      await host.removeStopped(hostName).catch((e: Error) => ctx.log.warn('Failed to remove the host side of a nic', { instance: view.rec.name, device, err: e.message }));
    }
    if (view.rec.config[`volatile.${device}.host_name`] !== undefined) drop[`volatile.${device}.host_name`] = undefined;
  }
  return drop;
}

/** Keys of a bridged/p2p nic that change on a running container without re-plugging it. */
const liveKeys = new Set(['ipv4.address', 'ipv6.address', 'ipv4.routes', 'ipv6.routes', 'limits.ingress', 'limits.egress', 'limits.max', 'security.mac_filtering', 'boot.priority']);

export function nicHotplug(ctx: InstanceContext): HotplugHandler & { update(view: InstanceView, name: string, before: Record<string, string>, after: Record<string, string>, pid: number): Promise<boolean> } {
  const host = new NicHost(ctx.runner);
  const one = async (view: InstanceView, device: string): Promise<ResolvedNic> => {
    const nics = await resolveAll(ctx, view, false);
    return nics.find((n) => n.device === device)!;
  };
  return {
    async add(view, device, _dev, pid) {
      const n = await one(view, device);
      if (n.nictype === 'macvlan') {
        if (!n.parent) throw ApiError.badRequest(`Device "${device}": macvlan nics need a "parent"`);
        await host.addMacvlan(pid, n.parent, n.mode, { name: n.name, hwaddr: n.hwaddr, mtu: n.mtu });
      } else {
        if (n.nictype === 'bridged' && !n.parent) throw ApiError.badRequest(`Device "${device}": bridged nics need a "parent"`);
        await host.addVeth(pid, n.hostName!, n.parent, { name: n.name, hwaddr: n.hwaddr, mtu: n.mtu });
        await host.setLimits(n.hostName!, n.dev['limits.ingress'] || n.dev['limits.max'], n.dev['limits.egress'] || n.dev['limits.max']);
      }
      await ctx.networks?.refreshStaticHosts();
    },
    async remove(view, device, dev, pid) {
      const hostName = dev.host_name || view.rec.config[`volatile.${device}.host_name`];
      const name = dev.name || view.rec.config[`volatile.${device}.name`];
      if (dev.nictype === 'macvlan' || (!hostName && name)) {
        if (name) await host.removeInside(pid, name);
      } else if (hostName) {
        await host.removeHost(hostName);
      }
      await ctx.networks?.refreshStaticHosts();
    },
    async update(view, device, before, after, _pid) {
      const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
      if ([...keys].some((k) => before[k] !== after[k] && !liveKeys.has(k))) return false;
      const n = await one(view, device);
      if (n.hostName && ['limits.ingress', 'limits.egress', 'limits.max'].some((k) => before[k] !== after[k])) {
        await host.setLimits(n.hostName, after['limits.ingress'] || after['limits.max'], after['limits.egress'] || after['limits.max']);
      }
      await ctx.networks?.refreshStaticHosts();
      return true;
    },
  };
}

/**
 * Checks nic devices against the managed networks: the network exists in the project's network list, static
 * addresses fit and are not taken. `project` is the instance's, or the project that holds the profile.
 */
export async function checkNics(ctx: InstanceContext, tx: Tx, devices: Devices, project: string, self?: { name: string }): Promise<void> {
  for (const [device, dev] of nicEntries(devices)) {
    if (dev.nictype && !['bridged', 'macvlan', 'p2p'].includes(dev.nictype)) throw ApiError.badRequest(`Device "${device}": nictype "${dev.nictype}" is not supported (lodge supports bridged, macvlan and p2p)`);
    for (const key of ['ipv4.routes', 'ipv6.routes']) {
      if (dev[key]) throw ApiError.badRequest(`Device "${device}": "${key}" is not implemented by lodge`);
    }
    if (dev['security.mac_filtering'] === 'true') throw ApiError.badRequest(`Device "${device}": "security.mac_filtering" is not implemented by lodge`);
    if (!dev.network) continue;
    const net = await ctx.networks?.recordIn(tx, project, dev.network);
    if (!net) throw ApiError.notFound(`Device validation failed for "${device}": Failed loading device "${device}": Failed to load network "${dev.network}" for project "${project}": Network not found`);
    for (const family of [4, 6] as const) {
      const key = `ipv${family}.address`;
      const value = dev[key];
      if (!value) continue;
      if (net.type !== 'bridge') throw ApiError.badRequest(`Device "${device}": "${key}" needs a bridge network`);
      const subnet = parseCidr(net.config[key] ?? '');
      const ip = parseIp(value)!;
      if (!subnet) throw ApiError.badRequest(`Device "${device}": network "${net.name}" has no IPv${family} subnet`);
      if (net.config[`ipv${family}.dhcp`] === 'false') throw ApiError.badRequest(`Device "${device}": cannot specify "${key}" when DHCP is disabled on network "${net.name}"`);
      if (!contains(subnet, family, ip.value)) throw ApiError.badRequest(`Device "${device}": IP address "${value}" not within network "${net.name}" subnet ${subnetString(subnet)}`);
      if (ip.value === subnet.address) throw ApiError.badRequest(`Device "${device}": IP address "${value}" is the address of network "${net.name}"`);
      if (!self) continue;
      for (const { scope, value: inst } of await tx.instances.all()) {
        if (scope === project && inst.name === self.name) continue;
        for (const [d, other] of Object.entries(inst.devices)) {
          if (other.type === 'nic' && nicUsesNetwork(other, net.name) && canonicalIp(other[key] ?? '') === canonicalIp(value)) {
            throw ApiError.badRequest(`Device "${device}": IP address "${value}" is already used by instance "${inst.name}" (device "${d}")`);
          }
        }
      }
    }
  }
}

/** Instance state: the host-side name of each nic (the rest of each interface's state comes from the helper). */
export function nicStateReader() {
  return async (_pid: number, base: Record<string, InstanceStateNetwork>, view: InstanceView): Promise<Record<string, InstanceStateNetwork>> => {
    const names = interfaceNames(view.expandedDevices, view.rec.config);
    for (const [device, dev] of nicEntries(view.expandedDevices)) {
      const hostName = dev.host_name || view.rec.config[`volatile.${device}.host_name`];
      const entry = base[names.get(device)!];
      if (entry && hostName && dev.nictype !== 'macvlan') entry.host_name = hostName;
    }
    return base;
  };
}
