// `lodge image copy` and the image side of `launch remote:image`, with the requests lxc's client makes:
// pull (the target downloads from the source: POST /1.0/images source.type=image, with a secret for private images),
// push (the source uploads to the target with a token from it) and relay (this client downloads, then uploads).
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Image, ImageAlias, Operation } from '@lodge/api';
import { tryAddresses, type LodgeClient, type RemoteOperation } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { dereference, downloadImage, imageServer, sameServer, type ImageServer } from '../image-server.js';
import { Progress } from '../progress.js';
import { imagesPost } from '../requests.js';
import { ensureAliases } from './image-transfer.js';

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

/** Push: the target hands out a token, then the source daemon uploads the image to it. */
async function pushCopy(dest: LodgeClient, source: ImageServer, image: Partial<Image> & { fingerprint: string }, args: ImageCopyArgs, follow: (op: RemoteOperation) => void): Promise<Operation> {
  if (!source.client) throw new Error('Exporting images is not supported by the simplestreams protocol');
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
  try {
    const exportOp = await source.client.operation('POST', `/1.0/images/${encodeURIComponent(image.fingerprint)}/export`, {
      target: target.url,
      certificate: target.certificate,
      secret,
      aliases: image.aliases ?? null,
      project: target.project,
      profiles: args.profiles ?? null,
    });
    follow(exportOp);
    return await exportOp.wait();
  } finally {
    await dest.query('DELETE', `/1.0/operations/${encodeURIComponent(token.metadata.id)}`).catch(() => undefined);
  }
}

/** Relay: this client downloads the image, then uploads it to the target (aliases are the caller's to create). */
async function relayCopy(dest: LodgeClient, source: ImageServer, image: Partial<Image> & { fingerprint: string }, args: ImageCopyArgs, follow: (op: RemoteOperation) => void): Promise<Operation> {
  // lxc passes an alias name on as the fingerprint, which no export accepts: download by the real fingerprint.
  const fp = args.sourceFingerprint || (await dereference(source, args.type ?? '', image.fingerprint));
  const files = await downloadImage(source, fp);
  try {
    const op = await dest.images.import({
      metaFile: files.meta,
      rootfsFile: files.rootfs,
      public: args.public === true,
      metaName: image.filename ?? '',
      rootfsName: image.filename ?? '',
      rootfsPart: image.type === 'virtual-machine' ? 'rootfs.img' : 'rootfs',
      profiles: args.profiles,
    });
    follow(op);
    return await op.wait();
  } catch (e) {
    throw new Error(`Failed to copy image: ${(e as Error).message}`);
  } finally {
    await rm(files.dir, { recursive: true, force: true });
  }
}

/**
 * lxc's CopyImage (client side): copies `image` (its fingerprint may be an alias name for public images, as lxc
 * passes it) from `source` to `dest`, reporting progress; resolves with the final operation on the target.
 */
export async function copyImage(dest: LodgeClient, source: ImageServer, image: Partial<Image> & { fingerprint: string }, args: ImageCopyArgs, progress: Progress): Promise<Operation> {
  if (await sameServer(dest, source)) throw new Error('The source and target servers must be different');
  if (args.profiles && !(await dest.hasExtension('image_copy_profile'))) throw new Error('The server is missing the required "image_copy_profile" API extension');
  const info = await source.connectionInfo();
  const follow = (op: RemoteOperation): void => op.onUpdate((o) => progress.updateOp(o));
  if (args.mode === 'push') return pushCopy(dest, source, image, args, follow);
  if (args.mode === 'relay') return relayCopy(dest, source, image, args, follow);

  // Pull: the target fetches the image itself, from each address of the source in turn.
  const secret = image.public ? '' : await source.secret(image.fingerprint);
  let aliases: ImageAlias[] | null = args.aliases ?? null;
  if (args.copyAliases) aliases = [...(image.aliases ?? []), ...(args.aliases ?? [])];
  const createAliasesAfter = aliases !== null && !(await dest.hasExtension('image_create_aliases'));
  const body = (server: string): Record<string, unknown> =>
    imagesPost({
      auto_update: args.autoUpdate,
      public: args.public,
      profiles: args.profiles,
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
  const final = await tryAddresses(info.addresses, (server) => dest.operation('POST', '/1.0/images', body(server)), {
    msg: 'Failed remote image download',
    follow,
    whenNone: "The source server isn't listening on the network",
  });
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
  const source = await imageServer(ctx, src.remote, true);
  const d = await ctx.resolve(args[1] ?? '');
  if (d.name !== '') throw new Error("Can't provide a name for the target image");
  const dest = typeof opts.targetProject === 'string' && opts.targetProject ? d.client.useProject(opts.targetProject) : d.client;
  const type = opts.vm ? 'virtual-machine' : '';
  const aliasNames = (opts.alias as string[] | undefined) ?? [];
  let image: Partial<Image> & { fingerprint: string };
  let fp = '';
  if (source.protocol === 'simplestreams' && !opts.copyAliases && aliasNames.length === 0) {
    // Simplestreams images are public: the name is passed on as it is, without reading the server.
    image = { fingerprint: src.name, public: true };
  } else {
    image = await source.image(await dereference(source, type, src.name));
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
