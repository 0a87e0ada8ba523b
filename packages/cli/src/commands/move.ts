// `lodge move`: a rename within a remote, a server-side pool or project move where the server can, else a copy that
// keeps the volatile keys followed by a forced delete of the source (across servers: a migration, then the delete).
import type { Command } from 'commander';
import type { App } from '../app.js';
import { isClustered } from './common.js';
import { copyCommand, flagsOf, modesHelp, transferFlags } from './copy.js';
import { deleteOne, localMove } from './delete.js';

export function registerMove(program: Command, app: App): void {
  transferFlags(
    app.leaf(
      program,
      'move',
      {
        usage: '[<remote>:]<instance>[/<snapshot>] [<remote>:][<instance>[/<snapshot>]]',
        summary: 'Move instances within or in between LXD servers',
        description: `Move instances within or in between LXD servers\n\n${modesHelp}`,
        aliases: ['mv'],
        min: 1,
        max: 2,
        examples:
          'lodge move [<remote>:]<source instance> [<remote>:][<destination instance>] [--instance-only]\n    Move an instance between two hosts, renaming it if destination name differs.\n\nlodge move <old name> <new name> [--instance-only]\n    Rename a local instance.\n\nlodge move <instance>/<old snapshot name> <instance>/<new snapshot name>\n    Rename a snapshot.',
      },
      async (ctx, args, opts, cmd) => {
        const f = flagsOf(opts);
        const storage = (opts.storage as string | undefined) ?? '';
        if (!f.target && !f.targetProject && !storage && args.length !== 2) {
          cmd.outputHelp();
          throw new Error('Invalid number of arguments');
        }
        const mode = typeof opts.mode === 'string' && opts.mode ? opts.mode : 'pull';
        const src = await ctx.ref(args[0] ?? '');
        const dst = args.length === 2 ? await ctx.ref(args[1] ?? '') : { remote: src.remote, name: '' };
        if (src.remote === dst.remote && !f.target && !storage && !f.targetProject) {
          await localMove(ctx, args[0] ?? '', args.length === 2 ? `${dst.remote}:${dst.name}` : `${src.remote}:`, opts);
          return;
        }
        const stateful = opts.stateless !== true;
        if (f.target) {
          if (src.remote === dst.remote) {
            if (opts.instanceOnly) throw new Error("The --instance-only flag can't be used with --target");
            if (storage) throw new Error("The --storage flag can't be used with --target");
            if (f.targetProject) throw new Error("The --target-project flag can't be used with --target");
            if (mode !== 'pull') throw new Error("The --mode flag can't be used with --target");
            const source = await ctx.client(src.remote);
            if (!(await isClustered(source))) throw new Error('The source LXD server is not clustered');
          }
          const dest = await ctx.client(dst.remote);
          if (!(await isClustered(dest))) throw new Error('The destination LXD server is not clustered');
        }
        if (src.remote === dst.remote && (storage || f.targetProject)) {
          const source = await ctx.client(src.remote);
          const ext = storage ? 'instance_pool_move' : 'instance_project_move';
          if (await source.hasExtension(ext)) {
            if (mode !== 'pull') throw new Error(`The --mode flag can't be used with ${storage ? '--storage' : '--target-project'}`);
            const name = dst.name || src.name;
            const body = { name, migration: true, live: stateful, instance_only: opts.instanceOnly === true, ...(storage ? { pool: storage } : { project: f.targetProject }) };
            try {
              await (await source.operation('POST', `/1.0/instances/${encodeURIComponent(src.name)}`, body)).wait();
            } catch (e) {
              throw new Error(`Migration operation failure: ${(e as Error).message}`);
            }
            return;
          }
        }
        // A move is a copy keeping the volatile keys, then a forced delete of the source.
        const sourceResource = args[0] ?? '';
        const destResource = args.length === 2 ? (args[1] ?? '') : sourceResource;
        await copyCommand(ctx, sourceResource, destResource, f, {
          keepVolatile: true,
          ephemeral: -1,
          stateful,
          instanceOnly: opts.instanceOnly === true,
          mode,
          pool: storage,
          move: true,
        });
        try {
          await deleteOne(ctx, await ctx.resolve(sourceResource), { force: true, forceProtected: true });
        } catch (e) {
          throw new Error(`Failed to delete original instance after copying it: ${(e as Error).message}`);
        }
      },
    ),
    'target',
  )
    .option('--no-profiles', 'Unset all profiles on the target instance')
    .option('--instance-only', 'Move the instance without its snapshots')
    .option('--mode <mode>', 'Transfer mode. One of pull, push or relay.', 'pull');
}
