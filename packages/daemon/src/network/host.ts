// Host interfaces as LXD shows them: the unmanaged type of an interface, and the live state of any interface.
import { access, readFile } from 'node:fs/promises';
import type { NetworkState, NetworkStateAddress } from '@lodge/api';
import type { AddrEntry, IpTool, LinkInfo } from './netlink.js';

const exists = (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);

/** LXD's classification of an interface it does not manage: loopback, bridge, vlan, physical, bond or unknown. */
export async function unmanagedType(link: LinkInfo): Promise<string> {
  if (link.flags.includes('LOOPBACK')) return 'loopback';
  const kind = link.linkinfo?.info_kind;
  if (kind === 'bridge') return 'bridge';
  if (kind === 'vlan') return 'vlan';
  if (await exists(`/sys/class/net/${link.ifname}/device`)) return 'physical';
  if (kind === 'bond') return 'bond';
  return 'unknown';
}

/** Address entries as LXD reports them (netmask is the prefix length). */
export function stateAddresses(entries: AddrEntry[]): NetworkStateAddress[] {
  return entries.map((a) => ({ family: a.family, address: a.local, netmask: String(a.prefixlen), scope: a.scope === 'host' ? 'local' : a.scope }));
}

export function linkType(link: LinkInfo): string {
  if (link.flags.includes('LOOPBACK')) return 'loopback';
  if (link.flags.includes('POINTOPOINT')) return 'point-to-point';
  return 'broadcast';
}

export function linkState(link: LinkInfo): string {
  return link.flags.includes('UP') ? 'up' : 'down';
}

/** /1.0/networks/{name}/state for an interface of this host. */
export async function interfaceState(ip: IpTool, name: string): Promise<NetworkState | undefined> {
  const links = await ip.links();
  const link = links.find((l) => l.ifname === name);
  if (!link) return undefined;
  const addrs = (await ip.addrs(name))[0]?.addr_info ?? [];
  const s = link.stats64;
  const state: NetworkState = {
    addresses: stateAddresses(addrs),
    counters: {
      bytes_received: s?.rx.bytes ?? 0,
      bytes_sent: s?.tx.bytes ?? 0,
      packets_received: s?.rx.packets ?? 0,
      packets_sent: s?.tx.packets ?? 0,
      errors_received: s?.rx.errors ?? 0,
      errors_sent: s?.tx.errors ?? 0,
      packets_dropped_inbound: s?.rx.dropped ?? 0,
      packets_dropped_outbound: s?.tx.dropped ?? 0,
    },
    hwaddr: link.address ?? '',
    mtu: link.mtu,
    state: linkState(link),
    type: linkType(link),
    bond: null,
    bridge: null,
    vlan: null,
    ovn: null,
  };
  if (link.linkinfo?.info_kind === 'bridge') {
    const d = (link.linkinfo as { info_data?: Record<string, unknown> }).info_data ?? {};
    state.bridge = {
      // sysfs has LXD's form (8000.00163e000001); ip prints the MAC with colons.
      id: (await readFile(`/sys/class/net/${name}/bridge/bridge_id`, 'utf8').catch(() => String(d.bridge_id ?? ''))).trim(),
      stp: Number(d.stp_state ?? 0) !== 0,
      forward_delay: Number(d.forward_delay ?? 0),
      vlan_default: Number(d.vlan_default_pvid ?? 1),
      vlan_filtering: Number(d.vlan_filtering ?? 0) !== 0,
      upper_devices: links.filter((l) => l.master === name).map((l) => l.ifname),
    };
  }
  return state;
}
