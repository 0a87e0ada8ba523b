// `lodge version`: the client's version and the server's (or "unreachable").
import type { Command } from 'commander';
import type { Server } from '@lodge/api';
import type { App } from '../app.js';
import { clientVersion } from '../version.js';

export function registerVersion(program: Command, app: App): void {
  app.leaf(program, 'version', { usage: '[<remote>:]', summary: 'Show local and remote versions', max: 1 }, async (ctx, args) => {
    ctx.println(`Client version: ${clientVersion()}`);
    let version = 'unreachable';
    try {
      const arg = args[0] ?? '';
      const { client } = await ctx.resolve(arg === '' || arg.endsWith(':') ? arg : `${arg}:`);
      version = (await client.get<Server>('/1.0')).environment?.server_version ?? '';
    } catch {
      // lxc reports an unreachable server in the output, not as an error.
    }
    ctx.println(`Server version: ${version}`);
  });
}
