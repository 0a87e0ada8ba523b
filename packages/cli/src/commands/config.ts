// `lodge config get/set/unset/show/edit`: instance configuration (GET, then PUT with If-Match) and server configuration.
import type { Command } from 'commander';
import type { Instance, InstancePut, InstanceSnapshot, Server } from '@lodge/api';
import type { LodgeClient } from '@lodge/client';
import type { App } from '../app.js';
import { parseKeyValues } from '../args.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { instance as instanceShape, instancePut, instanceSnapshot, serverPut } from '../format/shapes.js';
import { toYaml } from '../output.js';
import { registerDevices } from './devices.js';
import { registerTrust } from './trust.js';
import { writable } from './instance-common.js';

const instanceEditHelp = `### This is a YAML representation of the configuration.
### Any line starting with a '# will be ignored.
###
### A sample configuration looks like:
### name: instance1
### profiles:
### - default
### config:
###   volatile.eth0.hwaddr: 00:16:3e:e9:f8:7f
### devices:
###   homedir:
###     path: /extra
###     source: /home/user
###     type: disk
### ephemeral: false
###
### Note that the name is shown but cannot be changed`;

function noTarget(target: unknown): void {
  if (typeof target === 'string' && target) throw new Error('--target cannot be used with instances');
}

function snapshotPath(name: string): string {
  const [parent = '', snap = ''] = name.split('/', 2);
  return `/1.0/instances/${encodeURIComponent(parent)}/snapshots/${encodeURIComponent(snap)}`;
}

async function setInstanceKeys(ctx: Context, r: Resource, keyArgs: string[], unset: boolean): Promise<void> {
  const keys = await parseKeyValues(keyArgs, ctx.stdinReader());
  const { instance, etag } = await r.client.instances.get(r.name);
  const put = writable(instance);
  for (const [k, v] of keys) {
    if (unset) {
      if (!(k in put.config)) throw new Error(`Can't unset key '${k}', it's not currently set`);
      delete put.config[k];
    } else put.config[k] = v;
  }
  await (await r.client.instances.update(r.name, put, etag)).wait();
}

async function showInstance(ctx: Context, r: Resource, expanded: boolean): Promise<void> {
  if (r.name.includes('/')) {
    const snap = await r.client.get<InstanceSnapshot>(snapshotPath(r.name));
    if (expanded) {
      snap.config = snap.expanded_config;
      snap.devices = snap.expanded_devices;
    }
    ctx.print(toYaml(instanceSnapshot, snap));
    return;
  }
  const { instance } = await r.client.instances.get(r.name);
  const put: InstancePut = writable(instance);
  if (expanded) {
    put.config = instance.expanded_config;
    put.devices = instance.expanded_devices;
  }
  ctx.print(toYaml(instancePut, put));
}

async function editInstance(ctx: Context, r: Resource): Promise<void> {
  const isSnapshot = r.name.includes('/');
  const path = isSnapshot ? snapshotPath(r.name) : `/1.0/instances/${encodeURIComponent(r.name)}`;
  const shape = isSnapshot ? instanceSnapshot : instanceShape;
  await edit(ctx, {
    shape: isSnapshot ? instanceSnapshot : instancePut,
    help: instanceEditHelp,
    current: async () => {
      const res = await r.client.query<Instance & { expanded_config?: unknown; expanded_devices?: unknown }>('GET', path);
      const obj = { ...res.metadata, expanded_config: null, expanded_devices: null };
      return { yaml: toYaml(shape, obj), etag: res.etag };
    },
    apply: async (body, etag) => {
      const sent = isSnapshot ? { expires_at: (body as { expires_at?: string }).expires_at } : body;
      await (await r.client.operation('PUT', path, sent, { etag })).wait();
    },
  });
}

/** lxc's rule for telling `[remote:]instance key=value` from `key=value` and `key value`. */
export function serverSetTarget(args: string[]): string {
  const onlyKeyValue = args.every((a) => a.includes('='));
  const hasKeyValue = args.some((a) => a.includes('='));
  const first = args[0] ?? '';
  const isConfigKey = first.slice(first.indexOf(':') + 1).includes('.');
  if (onlyKeyValue || isConfigKey || (args.length === 2 && !hasKeyValue)) return '';
  return first;
}

async function getServer(client: LodgeClient): Promise<{ server: Server; etag?: string }> {
  return client.server.get();
}

function printable(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

async function targetCheck(client: LodgeClient, target: unknown): Promise<void> {
  if (typeof target !== 'string' || !target) return;
  const { server } = await getServer(client);
  if (!server.environment?.server_clustered) throw new Error('To use --target, the destination remote must be a cluster');
}

async function setServerKeys(ctx: Context, args: string[], unset: boolean, target?: unknown): Promise<void> {
  // unset is set with an empty value appended, which also decides whether the first argument names an instance.
  const all = unset ? [...args, ''] : args;
  const remote = serverSetTarget(all);
  const r = await ctx.resolve(remote);
  const keyArgs = remote === '' ? all : all.slice(1);
  if (r.name !== '') {
    noTarget(target);
    await setInstanceKeys(ctx, r, keyArgs, unset);
    return;
  }
  await targetCheck(r.client, target);
  const keys = await parseKeyValues(keyArgs, ctx.stdinReader());
  const { server, etag } = await getServer(r.client);
  const config: Record<string, unknown> = { ...(server.config ?? {}) };
  for (const [k, v] of keys) config[k] = v;
  await r.client.query('PUT', '/1.0', { config }, { etag });
}

function addTarget(cmd: Command): Command {
  return cmd.option('--target <member>', 'Cluster member name');
}

export function registerConfig(program: Command, app: App): void {
  const config = app.group(program, 'config', 'Manage instance and server configuration options');
  registerInstanceDevices(config, app);
  registerTrust(config, app);

  addTarget(
    app.leaf(config, 'get', { usage: '[<remote>:][<instance>] <key>', summary: 'Get values for instance or server configuration keys', min: 1, max: 2 }, async (ctx, args, opts) => {
      const r = await ctx.resolve(args.length > 1 ? (args[0] ?? '') : '');
      if (r.name !== '') {
        noTarget(opts.target);
        const { instance } = await r.client.instances.get(r.name);
        const key = args[args.length - 1] ?? '';
        ctx.println((opts.expanded ? instance.expanded_config : instance.config)?.[key] ?? '');
        return;
      }
      if (opts.expanded) throw new Error('--expanded cannot be used with a server');
      await targetCheck(r.client, opts.target);
      const { server } = await getServer(r.client);
      ctx.println(printable((server.config ?? {})[args[args.length - 1] ?? '']));
    }).option('-e, --expanded', 'Access the expanded configuration'),
  );

  addTarget(
    app.leaf(
      config,
      'set',
      {
        usage: '[<remote>:][<instance>] <key>=<value>...',
        summary: 'Set instance or server configuration keys',
        description: 'Set instance or server configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge config set [<remote>:][<instance>] <key> <value>',
        examples: 'lodge config set [<remote>:]<instance> limits.cpu=2\n    Will set a CPU limit of "2" for the instance.\n\nlodge config set core.https_address=[::]:8443\n    Will have Lodge listen on IPv4 and IPv6 port 8443.\n\nlodge config set core.trust_password=blah\n    Will set the server\'s trust password to blah.',
        min: 1,
        max: -1,
      },
      (ctx, args, opts) => setServerKeys(ctx, args, false, opts.target),
    ),
  );

  addTarget(
    app.leaf(config, 'unset', { usage: '[<remote>:][<instance>] <key>', summary: 'Unset instance or server configuration keys', min: 1, max: 2 }, (ctx, args, opts) =>
      setServerKeys(ctx, args, true, opts.target),
    ),
  );

  addTarget(
    app.leaf(config, 'show', { usage: '[<remote>:][<instance>[/<snapshot>]]', summary: 'Show instance or server configurations', max: 1 }, async (ctx, args, opts) => {
      const r = await ctx.resolve(args[0] ?? '');
      if (r.name !== '') {
        noTarget(opts.target);
        await showInstance(ctx, r, opts.expanded === true);
        return;
      }
      if (opts.expanded) throw new Error('--expanded cannot be used with a server');
      await targetCheck(r.client, opts.target);
      const { server } = await getServer(r.client);
      ctx.print(toYaml(serverPut, { config: server.config }));
    }).option('-e, --expanded', 'Show the expanded configuration'),
  );

  addTarget(
    app.leaf(
      config,
      'edit',
      {
        usage: '[<remote>:][<instance>[/<snapshot>]]',
        summary: 'Edit instance or server configurations as YAML',
        max: 1,
        examples: 'lodge config edit <instance> < instance.yaml\n    Update the instance configuration from config.yaml.',
      },
      async (ctx, args, opts) => {
        const r = await ctx.resolve(args[0] ?? '');
        if (r.name !== '') {
          noTarget(opts.target);
          await editInstance(ctx, r);
          return;
        }
        await targetCheck(r.client, opts.target);
        await edit(ctx, {
          shape: serverPut,
          current: async () => {
            const { server, etag } = await getServer(r.client);
            return { yaml: toYaml(serverPut, { config: server.config }), etag };
          },
          apply: async (body, etag) => void (await r.client.query('PUT', '/1.0', body, { etag })),
        });
      },
    ),
  );
}

/** `config device ...` for instances: GET with ETag, change `devices`, PUT the writable object and wait. */
export function registerInstanceDevices(config: Command, app: App): Command {
  return registerDevices<Instance>(config, app, {
    noun: 'instance',
    load: async (r) => {
      const { instance, etag } = await r.client.instances.get(r.name);
      instance.devices ??= {};
      return { obj: instance, etag };
    },
    devices: (i) => i.devices,
    expanded: (i) => i.expanded_devices ?? {},
    store: async (r, i, etag) => void (await (await r.client.instances.update(r.name, writable(i), etag)).wait()),
  });
}
