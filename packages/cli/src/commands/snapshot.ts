// `lodge snapshot` and `lodge restore`: the requests lxc sends (expires_at null unless --no-expiry, restore by PUT).
import type { Command } from 'commander';
import { ApiError, zeroTime } from '@lodge/api';
import type { App } from '../app.js';
import { splitSnapshot } from '../remotes.js';

export function registerSnapshot(program: Command, app: App): void {
  app
    .leaf(
      program,
      'snapshot',
      {
        usage: '[<remote>:]<instance> [<snapshot name>]',
        summary: 'Create instance snapshots',
        description:
          "Create instance snapshots\n\nWhen --stateful is used, Lodge attempts to checkpoint the instance's\nrunning state, including process memory state, TCP connections, ...",
        examples: 'lodge snapshot u1 snap0\n    Create a snapshot of "u1" called "snap0".',
        min: 1,
        max: 2,
      },
      async (ctx, args, opts) => {
        let snapname = args[1] ?? '';
        const r = await ctx.resolve(args[0] ?? '');
        let name = r.name;
        const split = splitSnapshot(name);
        if (split.snapshot !== undefined) {
          if (snapname !== '') throw new Error(`Invalid instance name: ${name}`);
          name = split.parent;
          snapname = split.snapshot;
        }
        if (opts.reuse && snapname !== '') {
          let exists = true;
          try {
            await r.client.instances.snapshot(name, snapname);
          } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            exists = false;
          }
          if (exists) await (await r.client.instances.deleteSnapshot(name, snapname)).wait();
        }
        const op = await r.client.instances.createSnapshot(name, { name: snapname, stateful: opts.stateful === true, expires_at: opts.expiry === false ? zeroTime : null });
        await op.wait();
      },
    )
    .option('--stateful', "Whether or not to snapshot the instance's running state")
    .option('--no-expiry', 'Ignore any configured auto-expiry for the instance')
    .option('--reuse', 'If the snapshot name already exists, delete and create a new one');

  app
    .leaf(
      program,
      'restore',
      {
        usage: '[<remote>:]<instance> <snapshot>',
        summary: 'Restore instances from snapshots',
        description: 'Restore instances from snapshots\n\nIf --stateful is passed, then the running state will be restored too.',
        examples: 'lodge snapshot u1 snap0\n    Create the snapshot.\n\nlodge restore u1 snap0\n    Restore the snapshot.',
        min: 2,
        max: 2,
      },
      async (ctx, args, opts) => {
        const r = await ctx.resolve(args[0] ?? '');
        const snap = args[1] ?? '';
        const op = await r.client.instances.restore(r.name, snap, opts.stateful === true);
        await op.wait();
      },
    )
    .option('--stateful', "Whether or not to restore the instance's running state from snapshot (if available)");
}
