// `lodge export` (a backup is made, downloaded, then deleted, as lxc does) and `lodge import` (the tarball as the
// body of POST /1.0/instances, with X-LXD-pool and X-LXD-name).
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { Progress, Tracker, byteCounter } from '../progress.js';

/** The backup name lxc reads from the operation: resources.backups[0] after "/1.0/backups/". */
export function backupNameOf(resources: Record<string, string[]> | null | undefined): string {
  const url = resources?.backups?.[0];
  if (!url) throw new Error('The server did not name the new backup');
  return url.replace(/^\/1\.0\/backups\//, '').replace(/\?.*$/, '');
}

async function exportInstance(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  const instanceOnly = opts.instanceOnly === true;
  const req = {
    name: '',
    expires_at: new Date(Date.now() + 24 * 3600 * 1000).toISOString(),
    instance_only: instanceOnly,
    container_only: instanceOnly,
    optimized_storage: opts.optimizedStorage === true,
    compression_algorithm: typeof opts.compression === 'string' ? opts.compression : '',
  };
  let op;
  try {
    op = await r.client.instances.createBackup(r.name, req);
  } catch (e) {
    throw new Error(`Create instance backup: ${(e as Error).message}`);
  }
  const targetName = args[1] ?? 'backup.tar.gz';
  const quiet = ctx.quiet || targetName === '-';
  const progress = new Progress(ctx.io.stdout, 'Backing up instance: %s', quiet);
  op.onUpdate((o) => progress.updateOp(o));
  try {
    await op.wait();
  } finally {
    progress.done('');
  }
  const backupName = backupNameOf(op.operation.resources);
  try {
    let target: Writable;
    let close = async (): Promise<void> => undefined;
    if (targetName === '-') target = ctx.io.stdout as unknown as Writable;
    else {
      const fh = await open(targetName, 'w');
      target = fh.createWriteStream();
      close = () => new Promise<void>((resolve, reject) => target.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    const down = new Progress(ctx.io.stdout, 'Exporting the backup: %s', quiet);
    try {
      const res = await r.client.instances.exportBackup(r.name, backupName);
      const total = Number(res.headers['content-length'] ?? 0) || 0;
      const tracker = new Tracker((t) => down.update(t));
      await pipeline(res, byteCounter((n) => tracker.update(n, total)), target, { end: false });
      await close();
    } catch (e) {
      if (targetName !== '-') {
        target.destroy();
        await rm(targetName, { force: true });
      }
      down.done('');
      throw new Error(`Fetch instance backup file: ${(e as Error).message}`);
    }
    down.done('Backup exported successfully!');
  } finally {
    await r.client.instances
      .deleteBackup(r.name, backupName)
      .then((del) => del.wait())
      .catch(() => undefined);
  }
}

async function importInstance(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  let pos = 0;
  let remote = '';
  if (args.length > 1 && (args[0] ?? '').endsWith(':')) {
    remote = args[0] ?? '';
    pos = 1;
  }
  const srcFile = args[pos] ?? '';
  const name = args[pos + 1] ?? '';
  const r = await ctx.resolve(remote);
  const pool = typeof opts.storage === 'string' ? opts.storage : '';
  if (pool && !(await r.client.hasExtension('container_backup_override_pool'))) {
    throw new Error('The server is missing the required "container_backup_override_pool" API extension');
  }
  if (name && !(await r.client.hasExtension('backup_override_name'))) throw new Error('The server is missing the required "backup_override_name" API extension');
  const quiet = ctx.quiet || srcFile === '-';
  const size = srcFile === '-' ? 0 : (await stat(srcFile)).size;
  const input = srcFile === '-' ? (ctx.io.stdin as unknown as NodeJS.ReadableStream) : createReadStream(srcFile);
  const progress = new Progress(ctx.io.stdout, 'Importing instance: %s', quiet);
  const tracker = new Tracker((t) => progress.update(t));
  const body = input.pipe(byteCounter((n) => tracker.update(n, size)));
  try {
    const op = await r.client.instances.importBackup(body, { pool, name });
    op.onUpdate((o) => progress.updateOp(o));
    await op.wait();
  } finally {
    progress.done('');
  }
}

export function registerBackup(program: Command, app: App): void {
  app
    .leaf(
      program,
      'export',
      {
        usage: '[<remote>:]<instance> [target] [--instance-only] [--optimized-storage]',
        summary: 'Export instance backups',
        description: 'Export instances as backup tarballs.',
        examples: 'lodge export u1 backup0.tar.gz\n    Download a backup tarball of the u1 instance.',
        min: 1,
        max: 2,
      },
      exportInstance,
    )
    .option('--instance-only', 'Whether or not to only backup the instance (without snapshots)')
    .option('--optimized-storage', 'Use storage driver optimized format (can only be restored on a similar pool)')
    .option('--compression <algorithm>', 'Compression algorithm to use (none for uncompressed)');

  app
    .leaf(
      program,
      'import',
      {
        usage: '[<remote>:] <backup file> [<instance name>]',
        summary: 'Import instance backups',
        description: 'Import backups of instances including their snapshots.',
        examples: 'lodge import backup0.tar.gz\n    Create a new instance using backup0.tar.gz as the source.',
        min: 1,
        max: 3,
      },
      importInstance,
    )
    .option('-s, --storage <pool>', 'Storage pool name');
}
