// `lodge file push/pull/delete/edit`: the /files API with X-LXD-* headers; -r walks trees client-side, -p creates parents.
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { InstanceFileGet } from '@lodge/client';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { textEditor } from '../editor.js';
import { byteSize } from '../format/units.js';
import { Progress, Tracker, byteCounter } from '../progress.js';
import { followLink, goClean, parseMode, pullTargetPath, pushTarget, splitInstancePath } from './file-args.js';

const dirMode = 0o755;

interface FileOpts {
  recursive?: boolean;
  createDirs?: boolean;
  uid?: string;
  gid?: string;
  mode?: string;
}

function intFlag(name: string, v: string | undefined): number {
  if (v === undefined) return -1;
  if (!/^[-+]?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number.parseInt(v, 10);
}

async function instanceOf(ctx: Context, raw: string): Promise<Resource> {
  return ctx.resolve(raw);
}

/** recursiveMkdir: find the deepest existing directory, then create the rest with the given owner and mode. */
async function mkdirRemote(r: Resource, p: string, mode: number | undefined, uid: number, gid: number): Promise<void> {
  if (p === '/') return;
  const parts = goClean(p).split('/');
  let i = parts.length;
  for (; i >= 1; i--) {
    const cur = parts
      .slice(0, i)
      .filter((x) => x !== '')
      .join('/');
    let info;
    try {
      info = await r.client.instances.statFile(r.name, cur);
    } catch {
      continue;
    }
    if (info.type !== 'directory') throw new Error(`${cur} is not a directory`);
    i++;
    break;
  }
  for (i = Math.max(i, 0); i <= parts.length; i++) {
    const cur = parts
      .slice(0, i)
      .filter((x) => x !== '')
      .join('/');
    if (cur === '') continue;
    await r.client.instances.pushFile(r.name, `/${cur}`, { type: 'directory', uid, gid, mode: mode ?? -1 });
  }
}

/** Pushes one local tree: directories first (as the walk meets them), symlinks as symlinks, modes and owners kept. */
async function pushTree(ctx: Context, r: Resource, source: string, target: string): Promise<void> {
  const src = goClean(source);
  const cut = src.lastIndexOf('/') + 1;
  const visit = async (p: string): Promise<void> => {
    let st: Stats;
    try {
      st = await lstat(p);
    } catch (e) {
      throw new Error(`Failed to walk path for ${p}: ${(e as Error).message}`);
    }
    const targetPath = posix.join(target, p.slice(cut));
    const common = { uid: st.uid, gid: st.gid, mode: st.mode & 0o777 };
    if (st.isDirectory()) {
      await r.client.instances.pushFile(r.name, targetPath, { ...common, type: 'directory' });
      for (const entry of (await readdir(p)).sort()) await visit(join(p, entry));
    } else if (st.isSymbolicLink()) {
      await r.client.instances.pushFile(r.name, targetPath, { ...common, type: 'symlink', content: await readlink(p) });
    } else if (st.isFile()) {
      await pushStream(ctx, r, targetPath, createReadStream(p), st.size, p, { ...common, type: 'file' });
    } else throw new Error(`'${p}' isn't a supported file type`);
  };
  await visit(src);
}

async function pushStream(
  ctx: Context,
  r: Resource,
  targetPath: string,
  body: Readable,
  size: number,
  label: string,
  args: { uid?: number; gid?: number; mode?: number; type: 'file' },
): Promise<void> {
  const progress = new Progress(ctx.io.stdout, `Pushing ${label} to ${targetPath}: %s`, ctx.quiet);
  const tracker = new Tracker((t) => progress.update(t));
  const counted = body.pipe(byteCounter((n) => tracker.update(n, size)));
  body.on('error', (e) => counted.destroy(e));
  try {
    await r.client.instances.pushFile(r.name, targetPath, { ...args, content: counted });
  } finally {
    progress.done('');
  }
}

async function push(ctx: Context, args: string[], opts: FileOpts, noModeChange = false, stdinName = '-'): Promise<void> {
  const target = pushTarget(args[args.length - 1] ?? '');
  const r = await instanceOf(ctx, target.instance);
  const sources = args.slice(0, -1).map((s) => (s === '-' ? s : goClean(s)));
  let mode = dirMode;
  if (opts.mode !== undefined && opts.mode !== '') mode = parseMode(opts.mode);
  const flagUid = intFlag('uid', opts.uid);
  const flagGid = intFlag('gid', opts.gid);

  if (opts.recursive) {
    if (flagUid !== -1 || flagGid !== -1 || (opts.mode ?? '') !== '') throw new Error("Can't supply uid/gid/mode in recursive mode");
    if (opts.createDirs) {
      const st = await stat(sources[0] ?? '');
      await mkdirRemote(r, target.path, st.mode & 0o777, st.uid, st.gid);
    }
    for (const s of sources) await pushTree(ctx, r, s, target.path);
    return;
  }
  if (sources.length > 1 && !target.isDir) throw new Error('Missing target directory');
  // Open everything first, as lxc does, so a missing source fails before anything is sent.
  const files: { name: string; st: Stats; body: () => Readable }[] = [];
  for (const s of sources) {
    if (s === '-') {
      const st = await stat('/dev/stdin').catch(() => ({ mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: 0 }) as Stats);
      files.push({ name: stdinName, st, body: () => ctx.io.stdin as unknown as Readable });
    } else {
      const st = await stat(s);
      if (st.isDirectory()) throw new Error(`read ${s}: is a directory`);
      files.push({ name: s, st, body: () => createReadStream(s) });
    }
  }
  for (const f of files) {
    let uid = flagUid >= 0 ? flagUid : 0;
    let gid = flagGid >= 0 ? flagGid : 0;
    const fpath = target.isDir ? posix.join(target.path, posix.basename(f.name === '-' ? '/dev/stdin' : f.name)) : target.path;
    if (opts.createDirs) {
      if (flagUid === -1) uid = f.st.uid;
      if (flagGid === -1) gid = f.st.gid;
      await mkdirRemote(r, posix.dirname(fpath), undefined, uid, gid);
    }
    const pushArgs: { uid?: number; gid?: number; mode?: number; type: 'file' } = { type: 'file' };
    if (!noModeChange) {
      if (opts.mode === undefined || opts.mode === '') mode = f.st.mode;
      if (flagUid === -1) uid = f.st.uid;
      if (flagGid === -1) gid = f.st.gid;
      Object.assign(pushArgs, { uid, gid, mode: mode & 0o777 });
    }
    await pushStream(ctx, r, fpath, f.body(), f.st.size, f.name, pushArgs);
  }
}

async function exists(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeBody(ctx: Context, got: InstanceFileGet, targetPath: string, label: string): Promise<void> {
  const body = got.body;
  if (!body) return;
  if (targetPath === '-') {
    for await (const c of body) ctx.io.stdout.write(c as Buffer);
    return;
  }
  const out = createWriteStream(targetPath);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  await chmod(targetPath, got.mode);
  const progress = new Progress(ctx.io.stdout, `Pulling ${label}: %s`, ctx.quiet);
  const start = Date.now();
  let last = 0;
  try {
    await pipeline(
      body,
      byteCounter((n) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        const speed = Math.floor(n / Math.max((Date.now() - start) / 1000, 0.001));
        progress.update(`${byteSize(n, 2)} (${byteSize(speed, 2)}/s)`);
      }),
      out,
    );
  } finally {
    progress.done('');
  }
}

async function pullTree(ctx: Context, r: Resource, p: string, targetDir: string): Promise<void> {
  const got = await r.client.instances.getFile(r.name, p);
  const target = join(targetDir, posix.basename(p));
  if (got.type === 'directory') {
    await mkdir(target, got.mode);
    for (const entry of got.entries ?? []) await pullTree(ctx, r, posix.join(p, entry), target);
  } else if (got.type === 'file') {
    await writeBody(ctx, got, target, `${p} from ${target}`);
  } else if (got.type === 'symlink') {
    const link = await readAll(got);
    await symlink(link.trim(), target);
  } else throw new Error(`Unknown file type '${got.type}'`);
}

async function readAll(got: InstanceFileGet): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of got.body ?? []) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function pull(ctx: Context, args: string[], opts: FileOpts): Promise<void> {
  const last = args[args.length - 1] ?? '';
  const target = goClean(last);
  const sources = args.slice(0, -1);
  let targetIsDir = false;
  const st = await exists(target);
  if (st) {
    targetIsDir = st.isDirectory();
    if (!targetIsDir && sources.length > 1) throw new Error('More than one file to download, but target is not a directory');
  } else if (last.endsWith('/') || sources.length > 1) {
    await mkdir(target, { recursive: true, mode: dirMode });
    targetIsDir = true;
  } else if (opts.createDirs) {
    await mkdir(posix.dirname(target), { recursive: true, mode: dirMode });
  }
  for (const source of sources) {
    const spec = splitInstancePath(source);
    if (!spec) throw new Error(`Invalid source ${source}`);
    const r = await instanceOf(ctx, spec.instance);
    let got = await r.client.instances.getFile(r.name, spec.path);
    if (got.type === 'directory') {
      if (!opts.recursive) throw new Error("Can't pull a directory without --recursive");
      if (!(await exists(target))) {
        await mkdir(target, { recursive: true, mode: dirMode });
        targetIsDir = true;
      }
      await pullTree(ctx, r, spec.path, target);
      continue;
    }
    const targetPath = pullTargetPath(target, targetIsDir, spec.path);
    if (got.type === 'symlink') {
      let link = await readAll(got);
      if (targetPath === '-' || opts.recursive) {
        for (let i = 0; ; i++) {
          got = await r.client.instances.getFile(r.name, followLink(spec.path, link));
          if (got.type !== 'symlink') break;
          if (i >= 255) throw new Error('Too many links');
          link = await readAll(got);
        }
      } else {
        await symlink(link.trim(), targetPath);
        continue;
      }
    }
    await writeBody(ctx, got, targetPath, `${targetPath} from ${spec.path}`);
  }
}

async function deleteFiles(ctx: Context, args: string[]): Promise<void> {
  for (const a of args) {
    const spec = splitInstancePath(a);
    const r = await ctx.resolve(spec ? spec.instance : a);
    if (!spec) throw new Error(`Invalid path ${r.name}`);
    await r.client.instances.deleteFile(r.name, spec.path);
  }
}

async function editFile(ctx: Context, args: string[]): Promise<void> {
  const target = args[0] ?? '';
  if (!ctx.stdinIsTTY) {
    await push(ctx, ['-', target], {}, true, '/dev/stdin');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'lodge_file_edit_'));
  const file = join(dir, 'file');
  try {
    const spec = splitInstancePath(target);
    if (!spec) throw new Error(`Invalid source ${target}`);
    const r = await ctx.resolve(spec.instance);
    const got = await r.client.instances.getFile(r.name, spec.path);
    if (got.type === 'directory') throw new Error("Can't pull a directory without --recursive");
    await writeFile(file, got.type === 'symlink' ? '' : Buffer.alloc(0));
    if (got.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const c of got.body ?? []) chunks.push(c as Buffer);
      await writeFile(file, Buffer.concat(chunks));
    } else got.body?.resume();
    const edited = await textEditor(ctx, await readFile(file, 'utf8'));
    const p = pushTarget(target);
    await r.client.instances.pushFile(r.name, p.path, { type: 'file', content: edited });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function registerFile(program: Command, app: App): void {
  const file = app.group(program, 'file', 'Manage files in instances');
  app.leaf(file, 'delete', { usage: '[<remote>:]<instance>/<path> [[<remote>:]<instance>/<path>...]', summary: 'Delete files in instances', aliases: ['rm'], min: 1, max: -1 }, deleteFiles);
  app.leaf(file, 'edit', { usage: '[<remote>:]<instance>/<path>', summary: 'Edit files in instances', min: 1, max: 1 }, editFile);
  app
    .leaf(
      file,
      'pull',
      {
        usage: '[<remote>:]<instance>/<path> [[<remote>:]<instance>/<path>...] <target path>',
        summary: 'Pull files from instances',
        min: 2,
        max: -1,
        examples: 'lodge file pull foo/etc/hosts .\n   To pull /etc/hosts from the instance and write it to the current directory.',
      },
      (ctx, args, opts) => pull(ctx, args, opts as FileOpts),
    )
    .option('-p, --create-dirs', 'Create any directories necessary')
    .option('-r, --recursive', 'Recursively transfer files');
  app
    .leaf(
      file,
      'push',
      {
        usage: '<source path>... [<remote>:]<instance>/<path>',
        summary: 'Push files into instances',
        min: 2,
        max: -1,
        examples: 'lodge file push /etc/hosts foo/etc/hosts\n   To push /etc/hosts into the instance "foo".',
      },
      (ctx, args, opts) => push(ctx, args, opts as FileOpts),
    )
    .option('-r, --recursive', 'Recursively transfer files')
    .option('-p, --create-dirs', 'Create any directories necessary')
    .option('--uid <uid>', "Set the file's uid on push")
    .option('--gid <gid>', "Set the file's gid on push")
    .option('--mode <mode>', "Set the file's perms on push");
}
