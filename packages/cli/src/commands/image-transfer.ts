// `lodge image import` (unified file, `meta rootfs` pair, or a directory) and `lodge image export`, with lxc's progress and file naming.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, open, rename, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Operation } from '@lodge/api';
import type { LodgeClient } from '@lodge/client';
import type { App, Opts } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { dereference, resolveImageServer } from '../image-server.js';
import { Progress, Tracker } from '../progress.js';

export interface ImportArgs {
  imageFile: string;
  rootfsFile?: string;
  remote?: string;
  properties: Record<string, string>;
}

/** lxc's reading of `<tarball>|<directory>|<URL> [<rootfs tarball>] [<remote>:] [key=value...]`. */
export function parseImportArgs(args: string[], exists: (p: string) => boolean = existsSync): ImportArgs {
  const out: ImportArgs = { imageFile: '', properties: {} };
  for (const arg of args) {
    if (!arg.includes('=') || exists(arg)) {
      if (arg.endsWith(':')) out.remote = arg;
      else if (out.imageFile === '') out.imageFile = arg;
      else out.rootfsFile = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    out.properties[arg.slice(0, eq).trim()] = arg.slice(eq + 1).trim();
  }
  if (out.imageFile === '') out.imageFile = args[0] ?? '';
  return out;
}

/** A directory with metadata.yaml, rootfs/ and templates/ is packed the way lxc does (root only, to keep ownership). */
async function packImageDir(dir: string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  if (process.geteuid?.() !== 0) throw new Error('Must run as root to import from directory');
  const tmp = await mkdtemp(join(tmpdir(), 'lodge_image_'));
  const file = join(tmp, 'image.tar.xz');
  const r = spawnSync('tar', ['-C', dir, '--numeric-owner', '--restrict', '--force-local', '--xattrs', '-cJf', file, 'rootfs', 'templates', 'metadata.yaml'], { encoding: 'utf8' });
  if (r.status !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`Failed to pack ${dir}: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return { file, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}

/** ensureImageAliases: replaces aliases of the same names, then points them at the new image. */
export async function ensureAliases(client: LodgeClient, names: string[], fingerprint: string): Promise<void> {
  if (names.length === 0) return;
  const wanted = new Set(names);
  for (const a of await client.images.aliases()) {
    if (!wanted.has(a.name)) continue;
    await client.images.deleteAlias(a.name).catch((e: Error) => Promise.reject(new Error(`Failed to remove alias ${a.name}: ${e.message}`)));
  }
  for (const name of names) {
    await client.images.createAlias(name, fingerprint).catch((e: Error) => Promise.reject(new Error(`Failed to create alias ${name}: ${e.message}`)));
  }
}

async function importFromUrl(client: LodgeClient, url: string, a: ImportArgs, opts: Opts): Promise<Operation> {
  const body = { public: opts.public === true, properties: a.properties, source: { type: 'url', mode: 'pull', protocol: 'direct', url } };
  return (await client.operation('POST', '/1.0/images', body)).wait();
}

async function importFile(client: LodgeClient, a: ImportArgs, opts: Opts, progress: Progress): Promise<Operation> {
  let meta = a.imageFile;
  let cleanup: (() => Promise<void>) | undefined;
  if (existsSync(meta) && statSync(meta).isDirectory()) ({ file: meta, cleanup } = await packImageDir(meta));
  try {
    const tracker = new Tracker((t) => progress.update(t));
    const op = await client.images.import({
      metaFile: meta,
      rootfsFile: a.rootfsFile,
      public: opts.public === true,
      filename: basename(meta),
      properties: a.properties,
      onProgress: (sent) => tracker.update(sent, 0),
    });
    op.onUpdate((o) => progress.updateOp(o));
    return await op.wait();
  } finally {
    await cleanup?.();
  }
}

async function runImport(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const a = parseImportArgs(args);
  const { client } = await ctx.resolve(a.remote ?? '');
  if (a.imageFile.startsWith('http://')) throw new Error('Only https:// is supported for remote image import');
  const progress = new Progress(ctx.io.stdout, 'Transferring image: %s', ctx.quiet);
  let op: Operation;
  try {
    op = a.imageFile.startsWith('https://') ? await importFromUrl(client, a.imageFile, a, opts) : await importFile(client, a, opts, progress);
  } catch (e) {
    progress.done('');
    throw e;
  }
  const fingerprint = String(op.metadata?.fingerprint ?? '');
  progress.done(`Image imported with fingerprint: ${fingerprint}`);
  await ensureAliases(client, (opts.alias as string[] | undefined) ?? [], fingerprint);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function closeStream(s: Writable): Promise<void> {
  return new Promise((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function runExport(ctx: Context, args: string[], opts: Opts): Promise<void> {
  const r = await resolveImageServer(ctx, args[0] ?? '');
  const fingerprint = await dereference(r.server, opts.vm ? 'virtual-machine' : '', r.name);
  const target = args[1] ?? '.';
  const targetMeta = args[1] === undefined ? fingerprint : isDir(target) ? join(target, fingerprint) : target;
  const targetRootfs = `${targetMeta}.root`;
  // Opened up front (like os.Create) so a bad target fails before the download, with the path in the error.
  const meta = (await open(targetMeta, 'w')).createWriteStream();
  const rootfs = await open(targetRootfs, 'w')
    .then((fh) => fh.createWriteStream())
    .catch(async (e: unknown) => {
      meta.destroy();
      await rm(targetMeta, { force: true });
      throw e;
    });
  const progress = new Progress(ctx.io.stdout, 'Exporting the image: %s', ctx.quiet);
  const tracker = new Tracker((t) => progress.update(t));
  const removeBoth = (): Promise<unknown> => Promise.all([rm(targetMeta, { force: true }), rm(targetRootfs, { force: true })]);
  try {
    const saved = await r.server.save(fingerprint, { meta, rootfs, onProgress: (n, total) => tracker.update(n, total) });
    await Promise.all([closeStream(meta), closeStream(rootfs)]);
    await truncate(targetMeta, saved.metaSize);
    if (saved.rootfsSize === 0) await rm(targetRootfs, { force: true });
    if (isDir(target)) {
      if (saved.metaName) await rename(targetMeta, join(target, saved.metaName));
      if (saved.rootfsSize > 0 && saved.rootfsName) await rename(targetRootfs, join(target, saved.rootfsName));
    } else if (saved.rootfsSize === 0 && args.length > 1 && saved.metaName.includes('.')) {
      await rename(targetMeta, `${targetMeta}.${saved.metaName.slice(saved.metaName.indexOf('.') + 1)}`);
    }
  } catch (e) {
    meta.destroy();
    rootfs.destroy();
    await removeBoth();
    progress.done('');
    throw e;
  }
  progress.done('Image exported successfully!');
}

export function registerImageTransfer(image: Command, app: App): void {
  app
    .leaf(
      image,
      'import',
      {
        usage: '<tarball>|<directory>|<URL> [<rootfs tarball>] [<remote>:] [key=value...]',
        summary: 'Import images into the image store',
        description: 'Import image into the image store\n\nDirectory import is only available on Linux and must be performed as root.',
        min: 1,
        max: -1,
      },
      runImport,
    )
    .option('--public', 'Make image public')
    .option('--alias <alias>', 'New aliases to add to the image', collect, []);
  app
    .leaf(
      image,
      'export',
      {
        usage: '[<remote>:]<image> [<target>]',
        summary: 'Export and download images',
        description: 'Export and download images\n\nThe output target is optional and defaults to the working directory.',
        min: 1,
        max: 2,
      },
      runExport,
    )
    .option('--vm', 'Query virtual machine images');
}
