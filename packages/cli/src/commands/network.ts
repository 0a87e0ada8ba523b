// `lodge network ...`: list, show, get, info, list-leases, create, set, unset, edit, rename, delete, as lxc 5.0.2 does them.
import type { Command } from 'commander';
import type { Network, NetworkLease, NetworkPut, NetworkState } from '@lodge/api';
import type { App, Opts } from '../app.js';
import { parseKeyValues } from '../args.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { field, fields, listOf, mapOf, struct, type Field, type StructShape } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { byteSize } from '../format/units.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, isClustered, withFormat } from './common.js';
import { registerNetworkAttach } from './network-attach.js';
import { getNetwork, networkPath, networkRef, requireExtension } from './network-api.js';

// shared/api's Network, NetworkPut and NetworkLease, in declaration order (NetworkPut is inlined first).
const networkPutFields: Field[] = [field('config', mapOf('string')), field('description', 'string')];
const networkPutShape: StructShape = struct(...networkPutFields);
const networkShape: StructShape = struct(
  ...networkPutFields,
  ...fields('string', 'name', 'type'),
  field('used_by', listOf('string')),
  field('managed', 'bool'),
  field('status', 'string'),
  field('locations', listOf('string')),
);
const leaseShape: StructShape = struct(...fields('string', 'hostname', 'hwaddr', 'address', 'type', 'location'));

const editHelp = `### This is a YAML representation of the network.
### Any line starting with a '# will be ignored.
###
### A network consists of a set of configuration items.
###
### An example would look like:
### name: lxdbr0
### config:
###   ipv4.address: 10.62.42.1/24
###   ipv4.nat: true
###   ipv6.address: fd00:56ad:9f7a:9800::1/64
###   ipv6.nat: true
### managed: true
### type: bridge
###
### Note that only the configuration can be changed.`;

/**
 * lxc sends --target on as ?target=, which only means something on a cluster; lodge has no clustering, so the
 * flag is refused (with lxc's own words when the server is not a cluster) rather than silently ignored.
 */
async function refuseTarget(r: Resource, opts: Opts): Promise<void> {
  if (typeof opts.target !== 'string' || opts.target === '') return;
  if (!(await isClustered(r.client))) throw new Error('To use --target, the destination remote must be a cluster');
  throw new Error('--target is not supported by lodge: clustering is not implemented');
}

async function list(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  if (r.name !== '') throw new Error("Filtering isn't supported yet");
  await requireExtension(r.client, 'network');
  const networks = await r.client.get<Network[]>('/1.0/networks?recursion=1');
  // Loopback and unknown interfaces are left out of the rows, but json and yaml print every network.
  const rows = networks
    .filter((n) => n.type !== 'loopback' && n.type !== 'unknown')
    .map((n) => [
      n.name,
      n.type,
      n.managed ? 'YES' : 'NO',
      n.config?.['ipv4.address'] ?? '',
      n.config?.['ipv6.address'] ?? '',
      n.description ?? '',
      String((n.used_by ?? []).length),
      (n.status ?? '').toUpperCase(),
    ]);
  const header = ['NAME', 'TYPE', 'MANAGED', 'IPV4', 'IPV6', 'DESCRIPTION', 'USED BY', 'STATE'];
  ctx.print(renderList(formatOf(opts), header, sortRows(rows), networks, listOf(networkShape)));
}

async function listLeases(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await requireExtension(r.client, 'network_leases');
  const leases = await r.client.get<NetworkLease[]>(`${networkPath(r.name)}/leases`);
  const clustered = await isClustered(r.client);
  const rows = leases.map((l) => [l.hostname, l.hwaddr, l.address, (l.type ?? '').toUpperCase(), ...(clustered ? [l.location ?? ''] : [])]);
  const header = ['HOSTNAME', 'MAC ADDRESS', 'IP ADDRESS', 'TYPE', ...(clustered ? ['LOCATION'] : [])];
  ctx.print(renderList(formatOf(opts), header, sortRows(rows), leases, listOf(leaseShape)));
}

async function show(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await refuseTarget(r, opts);
  const { network } = await getNetwork(r.client, r.name);
  ctx.print(toYaml(networkShape, { ...network, used_by: network.used_by ? [...network.used_by].sort() : network.used_by }));
}

async function get(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await refuseTarget(r, opts);
  const { network } = await getNetwork(r.client, r.name);
  // lxc prints only a key that is set: an unset key prints nothing, not even an empty line.
  for (const [k, v] of Object.entries(network.config ?? {})) if (k === args[1]) ctx.println(v);
}

/** NetworkState parts the wire type leaves as null (lodged never sends them, LXD may). */
interface StateExtras {
  bond?: { mode: string; transmit_policy: string; up_delay: number; down_delay: number; mii_frequency: number; mii_state: string; lower_devices: string[] | null } | null;
  vlan?: { lower_device: string; vid: number } | null;
  ovn?: { chassis: string } | null;
}

/** The text of `network info`, line for line as lxc prints it. */
export function networkInfoText(name: string, state: Omit<NetworkState, keyof StateExtras> & StateExtras): string {
  const out = [`Name: ${name}`, `MAC address: ${state.hwaddr}`, `MTU: ${state.mtu}`, `State: ${state.state}`, `Type: ${state.type}`];
  if (state.addresses && state.addresses.length > 0) {
    out.push('', 'IP addresses:', ...state.addresses.map((a) => `  ${a.family}\t${a.address}/${a.netmask} (${a.scope})`));
  }
  const c = state.counters;
  out.push(
    '',
    'Network usage:',
    `  Bytes received: ${byteSize(c?.bytes_received ?? 0, 2)}`,
    `  Bytes sent: ${byteSize(c?.bytes_sent ?? 0, 2)}`,
    `  Packets received: ${c?.packets_received ?? 0}`,
    `  Packets sent: ${c?.packets_sent ?? 0}`,
  );
  const b = state.bond;
  if (b) {
    out.push('', 'Bond:', `  Mode: ${b.mode}`, `  Transmit policy: ${b.transmit_policy}`, `  Up delay: ${b.up_delay}`, `  Down delay: ${b.down_delay}`);
    out.push(`  MII Frequency: ${b.mii_frequency}`, `  MII state: ${b.mii_state}`, `  Lower devices: ${(b.lower_devices ?? []).join(', ')}`);
  }
  const br = state.bridge;
  if (br) {
    out.push('', 'Bridge:', `  ID: ${br.id}`, `  STP: ${br.stp}`, `  Forward delay: ${br.forward_delay}`, `  Default VLAN ID: ${br.vlan_default}`);
    out.push(`  VLAN filtering: ${br.vlan_filtering}`, `  Upper devices: ${(br.upper_devices ?? []).join(', ')}`);
  }
  if (state.vlan) out.push('', 'VLAN:', `  Lower device: ${state.vlan.lower_device}`, `  VLAN ID: ${state.vlan.vid}`);
  if (state.ovn) out.push('', 'OVN:', `  Chassis: ${state.ovn.chassis}`);
  return `${out.join('\n')}\n`;
}

async function info(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await refuseTarget(r, opts);
  await requireExtension(r.client, 'network_state');
  const state = await r.client.get<NetworkState & StateExtras>(`${networkPath(r.name)}/state`);
  ctx.print(networkInfoText(r.name, state));
}

async function create(ctx: Context, args: string[], opts: Opts): Promise<void> {
  // lxc checks no name here: `lxc network create remote:` sends an empty one and the server answers.
  const r = await ctx.resolve(args[0] ?? '');
  const config: Record<string, string> = {};
  for (const entry of args.slice(1)) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`Bad key/value pair: ${entry}`);
    config[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  await refuseTarget(r, opts);
  await requireExtension(r.client, 'network');
  await r.client.query('POST', '/1.0/networks', { config, description: '', name: r.name, type: typeof opts.type === 'string' ? opts.type : '' });
  ctx.say(`Network ${r.name} created`);
}

async function setKeys(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await refuseTarget(r, opts);
  const { network, etag } = await getNetwork(r.client, r.name);
  if (!network.managed) throw new Error('Only managed networks can be modified');
  const keys = await parseKeyValues(args.slice(1), ctx.stdinReader());
  const put: NetworkPut = { config: { ...(network.config ?? {}) }, description: network.description ?? '' };
  // An empty value is how `unset` removes a key: the server drops empty keys.
  for (const [k, v] of keys) put.config[k] = v;
  await r.client.query('PUT', networkPath(r.name), put, { etag });
}

async function editNetwork(ctx: Context, args: string[]): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  await edit(ctx, {
    shape: networkPutShape,
    help: editHelp,
    current: async () => {
      const { network, etag } = await getNetwork(r.client, r.name);
      if (!network.managed) throw new Error('Only managed networks can be modified');
      return { yaml: toYaml(networkShape, network), etag };
    },
    apply: async (body, etag) => {
      await requireExtension(r.client, 'network');
      await r.client.query('PUT', networkPath(r.name), body, { etag });
    },
  });
}

const targetFlag = (cmd: Command): Command => cmd.option('--target <member>', 'Cluster member name');

export function registerNetwork(program: Command, app: App): void {
  const network = app.group(program, 'network', 'Manage and attach instances to networks');
  const one = '[<remote>:]<network>';
  registerNetworkAttach(network, app);
  targetFlag(app.leaf(network, 'create', { usage: `${one} [key=value...]`, summary: 'Create new networks', min: 1, max: -1 }, create)).option(
    '-t, --type <type>',
    'Network type',
  );
  app.leaf(network, 'delete', { usage: one, summary: 'Delete networks', aliases: ['rm'], min: 1, max: 1 }, async (ctx, args) => {
    const r = await networkRef(ctx, args[0] ?? '');
    await requireExtension(r.client, 'network');
    await r.client.query('DELETE', networkPath(r.name));
    ctx.say(`Network ${r.name} deleted`);
  });
  app.leaf(
    network,
    'edit',
    { usage: one, summary: 'Edit network configurations as YAML', min: 1, max: 1, examples: 'lodge network edit <network> < network.yaml\n    Update a network using the content of network.yaml' },
    editNetwork,
  );
  targetFlag(app.leaf(network, 'get', { usage: `${one} <key>`, summary: 'Get values for network configuration keys', min: 2, max: 2 }, get));
  targetFlag(app.leaf(network, 'info', { usage: one, summary: 'Get runtime information on networks', min: 1, max: 1 }, info));
  withFormat(app.leaf(network, 'list', { usage: '[<remote>:]', summary: 'List available networks', aliases: ['ls'], max: 1 }, list));
  withFormat(app.leaf(network, 'list-leases', { usage: one, summary: 'List DHCP leases', min: 1, max: 1 }, listLeases));
  app.leaf(network, 'rename', { usage: `${one} <new-name>`, summary: 'Rename networks', aliases: ['mv'], min: 2, max: 2 }, async (ctx, args) => {
    const r = await networkRef(ctx, args[0] ?? '');
    await requireExtension(r.client, 'network');
    await r.client.query('POST', networkPath(r.name), { name: args[1] ?? '' });
    ctx.say(`Network ${r.name} renamed to ${args[1] ?? ''}`);
  });
  targetFlag(
    app.leaf(
      network,
      'set',
      {
        usage: `${one} <key>=<value>...`,
        summary: 'Set network configuration keys',
        description: 'Set network configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge network set [<remote>:]<network> <key> <value>',
        min: 2,
        max: -1,
      },
      setKeys,
    ),
  );
  targetFlag(app.leaf(network, 'show', { usage: one, summary: 'Show network configurations', min: 1, max: 1 }, show));
  targetFlag(app.leaf(network, 'unset', { usage: `${one} <key>`, summary: 'Unset network configuration keys', min: 2, max: 2 }, (ctx, args, opts) => setKeys(ctx, [...args, ''], opts)));
}
