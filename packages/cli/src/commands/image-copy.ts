// `lodge image copy` and the image side of `launch remote:image`, with the requests lxc's client makes:
// pull (the target downloads from the source: POST /1.0/images source.type=image, with a secret for private images),
// push (the source uploads to the target with a token from it) and relay (this client downloads, then uploads).
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Image, ImageAlias, Operation } from '@lodge/api';
import { saveImageFile, type LodgeClient } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import { serverCertPath } from '../config.js';
import type { Context } from '../context.js';
import { Progress } from '../progress.js';
import { imagesPost } from '../requests.js';
import { dereferenceAlias } from './image-alias.js';
import { ensureAliases } from './image-transfer.js';

/** Where images come from: an LXD-protocol server we hold a client for, or a simplestreams server (never contacted here). */
export type ImageServer = { kind: 'lxd'; client: LodgeClient } | { kind: 'simplestreams'; addr: string; certificate: string };

export interface SourceInfo {
  protocol: 'lxd' | 'simplestreams';
  addresses: string[];
  certificate: string;
  url: string;
  socketPath?: string;
  project: string;
}

/** The image server behind a remote (lxc's GetImageServer); the source project is the remote's own, not --project. */
export async function imageServer(ctx: Context, remote: string): Promise<ImageServer> {
  const conf = await ctx.conf();
  const r = conf.remotes[remote];
  if (!r) throw new Error(`The remote "${remote}" doesn't exist`);
  if (r.protocol === 'simplestreams') {
    const pem = await readFile(serverCertPath(ctx.confDir, remote), 'utf8').catch(() => '');
    return { kind: 'simplestreams', addr: r.addr.replace(/\/+$/, ''), certificate: pem };
  }
  const client = await ctx.imageClient(remote);
  return { kind: 'lxd', client: r.public ? client : client.useProject(r.project || 'default') };
}

export async function sourceInfo(s: ImageServer): Promise<SourceInfo> {
  if (s.kind === 'simplestreams') return { protocol: 'simplestreams', addresses: [s.addr], certificate: s.certificate, url: s.addr, project: '' };
  return s.client.connectionInfo();
}

/** lxc's isSameServer: the same URL and unix socket. */
export async function sameServer(a: LodgeClient, b: ImageServer): Promise<boolean> {
  if (b.kind !== 'lxd') return false;
  if (a === b.client) return true;
  const ta = a.transport.opts;
  const tb = b.client.transport.opts;
  return (ta.url ?? '') === (tb.url ?? '') && (ta.socketPath ?? '') === (tb.socketPath ?? '');
}

function lxdOnly(s: ImageServer, what: string): LodgeClient {
  if (s.kind !== 'lxd') throw new Error(`${what} from a simplestreams server is not supported by lodge yet`);
  return s.client;
}

/** An image record on the source: alias resolved, for lxd-protocol servers. */
export async function sourceImage(s: ImageServer, name: string, type = ''): Promise<Image> {
  const client = lxdOnly(s, 'Reading image information');
  const fp = await dereferenceAlias(client, type, name);
  return (await client.images.get(fp)).image;
}

/** Errors of attempts against several source addresses, as the Go client's remoteOperationError words them. */
export function attemptsError(msg: string, errors: { url: string; error: Error }[]): Error {
  const first = errors[0];
  if (!first) return new Error(msg);
  if (errors.every((e) => e.error.message === first.error.message)) return new Error(`${msg}: ${first.error.message}`);
  return new Error(`${msg}:\n - ${errors.map((e) => `${e.url}: ${e.error.message}`).join('\n - ')}`);
}

/** Connection failures (try the next address) as opposed to errors the server reported. */
function isConnectionError(e: Error): boolean {
  return /connection refused|no route to host|network is unreachable|i\/o timeout|ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH/i.test(e.message);
}

export interface ImageCopyArgs {
  aliases?: ImageAlias[];
  copyAliases?: boolean;
  autoUpdate?: boolean;
  public?: boolean;
  type?: string;
  mode?: string;
  profiles?: string[];
  /** The real fingerprint when `image.fingerprint` carries an alias (relay downloads by fingerprint). */
  sourceFingerprint?: string;
}

/** Runs the operations one after the other until one succeeds (lxc's tryCopyImage / tryCreateInstance). */
export async function tryAddresses(addresses: string[], attempt: (url: string) => Promise<Operation>, msg: string): Promise<Operation> {
  if (addresses.length === 0) throw new Error("The source server isn't listening on the network");
  const errors: { url: string; error: Error }[] = [];
  for (const url of addresses) {
    try {
      return await attempt(url);
    } catch (e) {
      errors.push({ url, error: e as Error });
      if (!isConnectionError(e as Error)) break;
    }
  }
  throw attemptsError(msg, errors);
}

async function downloadImage(client: LodgeClient, fingerprint: string, dir: string, onProgress: (text: string) => void): Promise<{ meta: string; rootfs?: string }> {
  const meta = join(dir, 'meta');
  const rootfs = join(dir, 'rootfs');
  const metaFh = await open(meta, 'w');
  const rootFh = await open(rootfs, 'w');
  const m = metaFh.createWriteStream();
  const r = rootFh.createWriteStream();
  try {
    const res = await client.images.export(fingerprint);
    const saved = await saveImageFile(res, fingerprint, { meta: m, rootfs: r, onProgress: (n) => onProgress(String(n)) });
    await Promise.all([new Promise((res2) => m.end(res2)), new Promise((res2) => r.end(res2))]);
    return { meta, ...(saved.rootfsSize > 0 ? { rootfs } : {}) };
  } catch (e) {
    m.destroy();
    r.destroy();
    throw e;
  }
}

/**
 * lxc's CopyImage (client side): copies `image` (its fingerprint may be an alias name for public images, as lxc
 * passes it) from `source` to `dest`, reporting progress; resolves with the final operation on the target.
 */
export async function copyImage(dest: LodgeClient, source: ImageServer, image: Partial<Image> & { fingerprint: string }, args: ImageCopyArgs, progress: Progress): Promise<Operation> {
  if (await sameServer(dest, source)) throw new Error('The source and target servers must be different');
  const profiles = args.profiles ?? null;
  if (args.profiles && !(await dest.hasExtension('image_copy_profile'))) throw new Error('The server is missing the required "image_copy_profile" API extension');
  const info = await sourceInfo(source);
  const wait = async (op: Awaited<ReturnType<LodgeClient['operation']>>): Promise<Operation> => {
    op.onUpdate((o) => progress.updateOp(o));
    return op.wait();
  };

  if (args.mode === 'push') {
    const src = lxdOnly(source, 'Push mode');
    const target = await dest.connectionInfo();
    const token = await dest.query<Operation>(
      'POST',
      '/1.0/images',
      imagesPost({
        expires_at: image.expires_at,
        properties: image.properties,
        public: args.public,
        aliases: args.copyAliases ? image.aliases : null,
        source: { fingerprint: image.fingerprint, mode: 'push' },
      }),
    );
    const secret = token.metadata.metadata?.secret;
    if (typeof secret !== 'string') throw new Error('No token provided');
    const cancel = (): Promise<unknown> => dest.query('DELETE', `/1.0/operations/${encodeURIComponent(token.metadata.id)}`).catch(() => undefined);
    try {
      const exportOp = await src.operation('POST', `/1.0/images/${encodeURIComponent(image.fingerprint)}/export`, {
        target: target.url,
        certificate: target.certificate,
        secret,
        aliases: image.aliases ?? null,
        project: target.project,
        profiles,
      });
      return await wait(exportOp);
    } finally {
      await cancel();
    }
  }

  if (args.mode === 'relay') {
    const src = lxdOnly(source, 'Relay mode');
    const dir = await mkdtemp(join(tmpdir(), 'lodge_image_'));
    try {
      const files = await downloadImage(src, args.sourceFingerprint || image.fingerprint, dir, () => undefined);
      try {
        const op = await dest.images.import({
          metaFile: files.meta,
          rootfsFile: files.rootfs,
          public: args.public === true,
          metaName: image.filename ?? '',
          rootfsName: image.filename ?? '',
          rootfsPart: image.type === 'virtual-machine' ? 'rootfs.img' : 'rootfs',
          profiles: profiles ?? undefined,
        });
        return await wait(op);
      } catch (e) {
        throw new Error(`Failed to copy image: ${(e as Error).message}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // Pull: the target fetches the image itself, from each address of the source in turn.
  let secret = '';
  if (!image.public) {
    const src = lxdOnly(source, 'Private images');
    secret = await src.images.secret(image.fingerprint);
  }
  let aliases: ImageAlias[] | null = args.aliases ?? null;
  if (args.copyAliases) aliases = [...(image.aliases ?? []), ...(args.aliases ?? [])];
  const createAliasesAfter = aliases !== null && !(await dest.hasExtension('image_create_aliases'));
  const final = await tryAddresses(
    info.addresses,
    async (server) => {
      const body = imagesPost({
        auto_update: args.autoUpdate,
        public: args.public,
        profiles: profiles ?? undefined,
        aliases: createAliasesAfter ? null : aliases,
        source: {
          certificate: info.certificate,
          protocol: info.protocol,
          server,
          image_type: args.type ?? '',
          mode: 'pull',
          type: 'image',
          fingerprint: image.fingerprint,
          secret,
          project: info.project,
        },
      });
      return wait(await dest.operation('POST', '/1.0/images', body));
    },
    'Failed remote image download',
  );
  if (createAliasesAfter && aliases) {
    const fp = String(final.metadata?.fingerprint ?? '');
    for (const a of aliases) {
      try {
        await dest.images.createAlias(a.name, fp);
      } catch (e) {
        throw new Error(`Failed to create image alias: ${(e as Error).message}`);
      }
    }
  }
  return final;
}

async function run(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const mode = typeof opts.mode === 'string' ? opts.mode : 'pull';
  if (mode !== 'pull' && opts.autoUpdate) throw new Error('Auto update is only available in pull mode');
  const src = await ctx.ref(args[0] ?? '');
  const source = await imageServer(ctx, src.remote);
  const d = await ctx.resolve(args[1] ?? '');
  if (d.name !== '') throw new Error("Can't provide a name for the target image");
  const dest = typeof opts.targetProject === 'string' && opts.targetProject ? d.client.useProject(opts.targetProject) : d.client;
  const type = opts.vm ? 'virtual-machine' : '';
  const aliasNames = (opts.alias as string[] | undefined) ?? [];
  let image: Partial<Image> & { fingerprint: string };
  let fp = '';
  if (source.kind === 'simplestreams' && !opts.copyAliases && aliasNames.length === 0) {
    // Simplestreams images are public: the name is passed on as it is, without contacting the server.
    image = { fingerprint: src.name, public: true };
  } else {
    image = await sourceImage(source, src.name, type);
    fp = image.fingerprint;
  }
  if (image.public && image.fingerprint !== src.name && !image.fingerprint.startsWith(src.name)) image = { ...image, fingerprint: src.name };

  const progress = new Progress(ctx.io.stdout, 'Copying the image: %s', ctx.quiet);
  try {
    await copyImage(dest, source, image, { autoUpdate: opts.autoUpdate === true, public: opts.public === true, type, mode, sourceFingerprint: fp }, progress);
  } catch (e) {
    progress.done('');
    throw e;
  }
  progress.done('Image copied successfully!');
  const names = [...aliasNames, ...(opts.copyAliases ? (image.aliases ?? []).map((a) => a.name) : [])];
  await ensureAliases(dest, names, fp);
}

export function registerImageCopy(image: Command, app: App): void {
  app
    .leaf(
      image,
      'copy',
      {
        usage: '[<remote>:]<image> <remote>:',
        summary: 'Copy images between servers',
        description: 'Copy images between servers\n\nThe auto-update flag instructs the server to keep this image up to date.\nIt requires the source to be an alias and for it to be public.',
        aliases: ['cp'],
        min: 2,
        max: 2,
      },
      run,
    )
    .option('--public', 'Make image public')
    .option('--copy-aliases', 'Copy aliases from source')
    .option('--auto-update', 'Keep the image up to date after initial copy')
    .option('--alias <alias>', 'New aliases to add to the image', collect)
    .option('--vm', 'Copy virtual machine images')
    .option('--mode <mode>', 'Transfer mode. One of pull (default), push or relay', 'pull')
    .option('--target-project <project>', 'Copy to a project different from the source');
}
