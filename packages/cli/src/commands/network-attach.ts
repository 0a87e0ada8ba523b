// `lodge network attach/detach/attach-profile/detach-profile`: nic devices for a network on instances and profiles, as lxc adds and removes them.
import type { Command } from 'commander';
import type { Devices, Network } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { writable as instanceWritable } from './instance-common.js';
import { getNetwork, networkNic, networkRef } from './network-api.js';
import { writable as profileWritable } from './profile.js';

/**
 * The device to detach: the one named, else the only nic on this network (by `parent` or `network`).
 * The checks and their messages are lxc's.
 */
export function findNic(devices: Devices, network: string, given = ''): string {
  let name = given;
  if (name === '') {
    for (const [n, d] of Object.entries(devices)) {
      if (d.type === 'nic' && (d.parent === network || d.network === network)) {
        if (name !== '') throw new Error('More than one device matches, specify the device name');
        name = n;
      }
    }
  }
  if (name === '') throw new Error('No device found for this network');
  const dev = devices[name];
  if (!dev) throw new Error("The specified device doesn't exist");
  if (dev.type !== 'nic' || (dev.parent !== network && dev.network !== network)) throw new Error("The specified device doesn't match the network");
  return name;
}

/** Where nics are added and removed: an instance (an update operation to wait for) or a profile. */
type NicHost = (r: Resource, name: string) => Promise<{ devices: Devices; save: (devices: Devices) => Promise<void> }>;

const instanceHost: NicHost = async (r, name) => {
  const { instance, etag } = await r.client.instances.get(name);
  return {
    devices: instance.devices ?? {},
    save: async (devices) => void (await (await r.client.instances.update(name, { ...instanceWritable(instance), devices }, etag)).wait()),
  };
};

const profileHost: NicHost = async (r, name) => {
  const { profile, etag } = await r.client.profiles.get(name);
  return { devices: profile.devices ?? {}, save: (devices) => r.client.profiles.update(name, { ...profileWritable(profile), devices }, etag) };
};

/**
 * attach and attach-profile: the device is named after the network unless a name is given. The instance or profile
 * is named as typed, on the network's remote (lxc does not parse a remote out of it).
 */
async function attach(ctx: Context, args: string[], host: NicHost, nic: (r: Resource, net: Network) => Promise<Record<string, string>>): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  const devName = args[2] ?? r.name;
  const { network } = await getNetwork(r.client, r.name);
  const device = await nic(r, network);
  if (args[3] !== undefined) device.name = args[3];
  const { devices, save } = await host(r, args[1] ?? '');
  if (devices[devName]) throw new Error(`Device already exists: ${devName}`);
  await save({ ...devices, [devName]: device });
}

/** detach and detach-profile: no network lookup, so a nic outlives its network's record and can still be removed. */
async function detach(ctx: Context, args: string[], host: NicHost): Promise<void> {
  const r = await networkRef(ctx, args[0] ?? '');
  const { devices, save } = await host(r, args[1] ?? '');
  const devName = findNic(devices, r.name, args[2]);
  const rest = { ...devices };
  delete rest[devName];
  await save(rest);
}

export function registerNetworkAttach(network: Command, app: App): void {
  app.leaf(
    network,
    'attach',
    { usage: '[<remote>:]<network> <instance> [<device name>] [<interface name>]', summary: 'Attach network interfaces to instances', description: 'Attach new network interfaces to instances', min: 2, max: 4 },
    (ctx, args) => attach(ctx, args, instanceHost, (r, net) => networkNic(r.client, net, r.name)),
  );
  app.leaf(
    network,
    'attach-profile',
    { usage: '[<remote>:]<network> <profile> [<device name>] [<interface name>]', summary: 'Attach network interfaces to profiles', min: 2, max: 4 },
    // lxc 5.0.2 gives profiles a nictype+parent nic even for managed networks (unlike `attach`).
    (ctx, args) => attach(ctx, args, profileHost, async (r, net) => ({ type: 'nic', nictype: net.type === 'bridge' ? 'bridged' : 'macvlan', parent: r.name })),
  );
  app.leaf(
    network,
    'detach',
    { usage: '[<remote>:]<network> <instance> [<device name>]', summary: 'Detach network interfaces from instances', min: 2, max: 3 },
    (ctx, args) => detach(ctx, args, instanceHost),
  );
  app.leaf(
    network,
    'detach-profile',
    { usage: '[<remote>:]<network> <profile> [<device name>]', summary: 'Detach network interfaces from profiles', min: 2, max: 3 },
    (ctx, args) => detach(ctx, args, profileHost),
  );
}
