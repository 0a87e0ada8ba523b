// `lodge config get/set/unset/show/edit`: server configuration (instance configuration arrives with instances).
import type { Command } from 'commander';
import type { Server } from '@lodge/api';
import type { LodgeClient } from '@lodge/client';
import type { App } from '../app.js';
import { parseKeyValues } from '../args.js';
import type { Context } from '../context.js';
import { edit } from '../editor.js';
import { serverPut } from '../format/shapes.js';
import { toYaml } from '../output.js';

const noInstances = (name: string): Error => new Error(`Instance configuration is not available yet: lodge has no instances API (asked for "${name}")`);

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

async function setServerKeys(ctx: Context, args: string[], unset: boolean): Promise<void> {
  const remote = serverSetTarget(args);
  const r = await ctx.resolve(remote);
  if (r.name !== '') throw noInstances(r.name);
  const keyArgs = remote === '' ? args : args.slice(1);
  const keys = await parseKeyValues(unset ? [...keyArgs, ''] : keyArgs, ctx.stdinReader());
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

  addTarget(
    app.leaf(config, 'get', { usage: '[<remote>:][<instance>] <key>', summary: 'Get values for instance or server configuration keys', min: 1, max: 2 }, async (ctx, args, opts) => {
      const r = await ctx.resolve(args.length > 1 ? (args[0] ?? '') : '');
      if (r.name !== '') throw noInstances(r.name);
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
        examples: 'lodge config set core.https_address=[::]:8443\n    Will have Lodge listen on IPv4 and IPv6 port 8443.\n\nlodge config set core.trust_password=blah\n    Will set the server\'s trust password to blah.',
        min: 1,
        max: -1,
      },
      (ctx, args) => setServerKeys(ctx, args, false),
    ),
  );

  addTarget(
    app.leaf(config, 'unset', { usage: '[<remote>:][<instance>] <key>', summary: 'Unset instance or server configuration keys', min: 1, max: 2 }, (ctx, args) =>
      setServerKeys(ctx, args, true),
    ),
  );

  addTarget(
    app.leaf(config, 'show', { usage: '[<remote>:][<instance>[/<snapshot>]]', summary: 'Show instance or server configurations', max: 1 }, async (ctx, args, opts) => {
      const r = await ctx.resolve(args[0] ?? '');
      if (r.name !== '') throw noInstances(r.name);
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
      { usage: '[<remote>:][<instance>[/<snapshot>]]', summary: 'Edit instance or server configurations as YAML', max: 1, examples: 'lodge config edit < config.yaml\n    Update the server configuration from config.yaml.' },
      async (ctx, args, opts) => {
        const r = await ctx.resolve(args[0] ?? '');
        if (r.name !== '') throw noInstances(r.name);
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
