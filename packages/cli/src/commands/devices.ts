// `device add/remove/list/show/set/unset/get`, written once for any object with devices (profiles now, instances later).
import type { Command } from 'commander';
import type { Devices } from '@lodge/api';
import type { App } from '../app.js';
import { parseDeviceProps, parseKeyValues } from '../args.js';
import type { Context, Resource } from '../context.js';
import { mapOf } from '../format/gotypes.js';
import { toYaml } from '../output.js';

export interface DeviceHost<T> {
  /** "profile" or "instance", used in usage lines. */
  noun: string;
  load(r: Resource): Promise<{ obj: T; etag?: string }>;
  devices(obj: T): Devices;
  /** Devices inherited from profiles (instances only): they get their own error messages. */
  expanded?(obj: T): Devices;
  store(r: Resource, obj: T, etag?: string): Promise<void>;
}

async function target(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing name');
  return r;
}

const fromProfile = {
  get: 'Device from profile(s) cannot be retrieved for individual instance',
  set: 'Device from profile(s) cannot be modified for individual instance. Override device or modify profile instead',
  remove: 'Device from profile(s) cannot be removed from individual instance. Override device or modify profile instead',
};

function missingDevice<T>(host: DeviceHost<T>, obj: T, name: string, action: keyof typeof fromProfile): Error {
  return new Error(host.expanded?.(obj)[name] ? fromProfile[action] : "Device doesn't exist");
}

export function registerDevices<T>(parent: Command, app: App, host: DeviceHost<T>): Command {
  const n = `[<remote>:]<${host.noun}>`;
  const device = app.group(parent, 'device', 'Manage devices');

  app.leaf(device, 'add', { usage: `${n} <device> <type> [key=value...]`, summary: `Add ${host.noun} devices`, min: 3, max: -1 }, async (ctx, args) => {
    const [name = '', devName = '', type = ''] = args;
    const props = parseDeviceProps(args.slice(3));
    const r = await target(ctx, name);
    const { obj, etag } = await host.load(r);
    const devs = host.devices(obj);
    if (devs[devName]) throw new Error('The device already exists');
    devs[devName] = { type, ...props };
    await host.store(r, obj, etag);
    ctx.say(`Device ${devName} added to ${r.name}`);
  });

  app.leaf(device, 'get', { usage: `${n} <device> <key>`, summary: 'Get values for device configuration keys', min: 3, max: 3 }, async (ctx, args) => {
    const r = await target(ctx, args[0] ?? '');
    const { obj } = await host.load(r);
    const dev = host.devices(obj)[args[1] ?? ''];
    if (!dev) throw missingDevice(host, obj, args[1] ?? '', 'get');
    ctx.println(dev[args[2] ?? ''] ?? '');
  });

  app.leaf(device, 'list', { usage: n, summary: `List ${host.noun} devices`, aliases: ['ls'], min: 1, max: 1 }, async (ctx, args) => {
    const r = await target(ctx, args[0] ?? '');
    const { obj } = await host.load(r);
    ctx.println(Object.keys(host.devices(obj)).sort().join('\n'));
  });

  app.leaf(device, 'remove', { usage: `${n} <name>...`, summary: `Remove ${host.noun} devices`, aliases: ['rm'], min: 2, max: -1 }, async (ctx, args) => {
    const r = await target(ctx, args[0] ?? '');
    const { obj, etag } = await host.load(r);
    const devs = host.devices(obj);
    for (const d of args.slice(1)) {
      if (!devs[d]) throw missingDevice(host, obj, d, 'remove');
      delete devs[d];
    }
    await host.store(r, obj, etag);
    ctx.say(`Device ${args.slice(1).join(', ')} removed from ${r.name}`);
  });

  const setDevice = async (ctx: Context, args: string[]): Promise<void> => {
    const r = await target(ctx, args[0] ?? '');
    const keys = await parseKeyValues(args.slice(2), ctx.stdinReader());
    const { obj, etag } = await host.load(r);
    const dev = host.devices(obj)[args[1] ?? ''];
    if (!dev) throw missingDevice(host, obj, args[1] ?? '', 'set');
    for (const [k, v] of keys) dev[k] = v;
    await host.store(r, obj, etag);
  };

  app.leaf(
    device,
    'set',
    {
      usage: `${n} <device> <key>=<value>...`,
      summary: 'Set device configuration keys',
      description: `Set device configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge ${host.noun} device set ${n} <device> <key> <value>`,
      min: 3,
      max: -1,
    },
    setDevice,
  );

  app.leaf(device, 'unset', { usage: `${n} <device> <key>`, summary: 'Unset device configuration keys', min: 3, max: 3 }, (ctx, args) => setDevice(ctx, [...args, '']));

  app.leaf(device, 'show', { usage: n, summary: 'Show full device configuration', min: 1, max: 1 }, async (ctx, args) => {
    const r = await target(ctx, args[0] ?? '');
    const { obj } = await host.load(r);
    ctx.print(toYaml(mapOf(mapOf('string')), host.devices(obj)));
  });

  const expanded = host.expanded;
  if (expanded) {
    app.leaf(
      device,
      'override',
      { usage: `${n} <device> [key=value...]`, summary: 'Copy profile inherited devices and override configuration keys', min: 2, max: -1 },
      async (ctx, args) => {
        const r = await target(ctx, args[0] ?? '');
        const devName = args[1] ?? '';
        const { obj, etag } = await host.load(r);
        const devs = host.devices(obj);
        if (devs[devName]) throw new Error('The device already exists');
        const inherited = expanded(obj)[devName];
        if (!inherited) throw new Error("The profile device doesn't exist");
        devs[devName] = { ...inherited, ...parseDeviceProps(args.slice(2)) };
        await host.store(r, obj, etag);
        ctx.say(`Device ${devName} overridden for ${r.name}`);
      },
    );
  }
  return device;
}
