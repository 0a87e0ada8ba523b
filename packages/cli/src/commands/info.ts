// `lodge info`: the server as YAML (instances come with the instances API).
import type { Command } from 'commander';
import type { Server } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { server as serverShape } from '../format/shapes.js';
import { toYaml } from '../output.js';

async function serverInfo(ctx: Context, r: Resource, opts: { resources?: boolean; target?: string }): Promise<void> {
  const srv = await r.client.get<Server>('/1.0');
  if (opts.target && !srv.environment?.server_clustered) throw new Error('To use --target, the destination remote must be a cluster');
  if (opts.resources) {
    if (!(srv.api_extensions ?? []).includes('resources_v2')) throw new Error("The server doesn't implement the newer v2 resources API");
    throw new Error('Server resources are not supported by lodge yet');
  }
  ctx.print(toYaml(serverShape, srv));
}

export function registerInfo(program: Command, app: App): void {
  const cmd = app.leaf(
    program,
    'info',
    {
      usage: '[<remote>:][<instance>]',
      summary: 'Show instance or server information',
      max: 1,
      examples: 'lodge info [<remote>:]<instance> [--show-log]\n    For instance information.\n\nlodge info [<remote>:] [--resources]\n    For server information.',
    },
    async (ctx, args, opts) => {
      const r = await ctx.resolve(args[0] ?? '');
      if (r.name !== '') throw new Error(`Instance information is not available yet: lodge has no instances API (asked for "${r.name}")`);
      await serverInfo(ctx, r, opts);
    },
  );
  cmd.option('--show-log', "Show the instance's last 100 log lines?");
  cmd.option('--resources', 'Show the resources available to the server');
  cmd.option('--target <member>', 'Cluster member name');
}
