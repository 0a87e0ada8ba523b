// Network calls the network commands and `launch -n` share: GetNetwork with lxc's extension check, and the nic lxc adds for a network.
import type { Network } from '@lodge/api';
import type { LodgeClient } from '@lodge/client';
import type { Context, Resource } from '../context.js';

/** The Go client refuses every network call, before any request, when the server lacks the extension. */
export async function requireExtension(client: LodgeClient, ext: string): Promise<void> {
  if (!(await client.hasExtension(ext))) throw new Error(`The server is missing the required "${ext}" API extension`);
}

export const networkPath = (name: string): string => `/1.0/networks/${encodeURIComponent(name)}`;

/** GetNetwork: the network and its ETag. */
export async function getNetwork(client: LodgeClient, name: string): Promise<{ network: Network; etag?: string }> {
  await requireExtension(client, 'network');
  const r = await client.query<Network>('GET', networkPath(name));
  return { network: r.metadata, etag: r.etag };
}

export async function networkRef(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing network name');
  return r;
}

/**
 * The nic lxc makes for a network: a managed one is named by `network=` (so the nic inherits its settings at start),
 * anything else becomes a bridged nic on a host bridge or a macvlan on a host interface.
 */
export async function networkNic(client: LodgeClient, network: Network, parent: string): Promise<Record<string, string>> {
  if (network.managed && (await client.hasExtension('instance_nic_network'))) return { type: 'nic', network: network.name };
  return { type: 'nic', nictype: network.type === 'bridge' ? 'bridged' : 'macvlan', parent };
}

/** The eth0 nic of `lodge init/launch -n NETWORK`. */
export async function launchNic(client: LodgeClient, name: string): Promise<Record<string, string>> {
  let network: Network;
  try {
    network = (await getNetwork(client, name)).network;
  } catch (e) {
    throw new Error(`Failed loading network "${name}": ${(e as Error).message}`);
  }
  return { name: 'eth0', ...(await networkNic(client, network, name)) };
}

