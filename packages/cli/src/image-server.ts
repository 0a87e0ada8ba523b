// Image servers as lxc's GetImageServer gives them: an LXD-protocol server (lodged or LXD) through a LodgeClient, or a
// simplestreams server read with the client library's SimpleStreamsClient; the calls the image commands and launch make.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Image, ImageAliasesEntry } from '@lodge/api';
import { architectureName, saveImageFile, SimpleStreamsClient, type ImageFileResult, type ImageFileTargets, type LodgeClient } from '@lodge/client';
import { serverCertPath } from './config.js';
import type { Context } from './context.js';
import { userAgent } from './version.js';

/** What another server needs to fetch from this one (lxc's ConnectionInfo). */
export interface SourceInfo {
  protocol: 'lxd' | 'simplestreams';
  addresses: string[];
  certificate: string;
  url: string;
  socketPath?: string;
  project: string;
}

/** An image's files saved by a download, with the names the server gave them. */
export interface DownloadedImage extends ImageFileResult {
  dir: string;
  meta: string;
  /** Only for split images. */
  rootfs?: string;
}

export interface ImageServer {
  readonly protocol: 'lxd' | 'simplestreams';
  /** The LXD-protocol client (absent for simplestreams). */
  readonly client?: LodgeClient;
  connectionInfo(): Promise<SourceInfo>;
  /** GetImagesWithFilter: a simplestreams server refuses filters, and the caller then lists everything. */
  list(filter: string): Promise<Image[]>;
  aliases(): Promise<ImageAliasesEntry[]>;
  /** GetImageAliasType: the alias of this type ("" for any); rejects when there is none. */
  alias(type: string, name: string): Promise<ImageAliasesEntry>;
  image(fingerprint: string): Promise<Image>;
  /** A one-time secret for a private image (LXD protocol only). */
  secret(fingerprint: string): Promise<string>;
  /** Writes the image's files (rootfs only for split images), checked against the fingerprint or their hashes. */
  save(fingerprint: string, targets: ImageFileTargets): Promise<ImageFileResult>;
}

async function tempFiles(): Promise<{ dir: string; meta: string; rootfs: string; streams: [Writable, Writable]; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge_image_'));
  const meta = join(dir, 'meta');
  const rootfs = join(dir, 'rootfs');
  const m = (await open(meta, 'w')).createWriteStream();
  const r = (await open(rootfs, 'w')).createWriteStream();
  const end = (s: Writable): Promise<void> => new Promise((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { dir, meta, rootfs, streams: [m, r], close: async () => void (await Promise.all([end(m), end(r)])) };
}

/** Downloads an image's files into a new temporary directory (the caller removes `dir`); a failure leaves nothing. */
export async function downloadImage(server: ImageServer, fingerprint: string): Promise<DownloadedImage> {
  const t = await tempFiles();
  try {
    const saved = await server.save(fingerprint, { meta: t.streams[0], rootfs: t.streams[1] });
    await t.close();
    return { ...saved, dir: t.dir, meta: t.meta, ...(saved.rootfsSize > 0 ? { rootfs: t.rootfs } : {}) };
  } catch (e) {
    for (const s of t.streams) s.destroy();
    await rm(t.dir, { recursive: true, force: true });
    throw e;
  }
}

class LxdImageServer implements ImageServer {
  readonly protocol = 'lxd';

  constructor(readonly client: LodgeClient) {}

  async connectionInfo(): Promise<SourceInfo> {
    return this.client.connectionInfo();
  }

  list(filter: string): Promise<Image[]> {
    return this.client.images.list(filter);
  }

  aliases(): Promise<ImageAliasesEntry[]> {
    return this.client.images.aliases();
  }

  async alias(type: string, name: string): Promise<ImageAliasesEntry> {
    const a = await this.client.images.alias(name);
    if (type !== '' && (a.type || 'container') !== type) throw new Error(`Alias '${name}' of type ${type} doesn't exist`);
    return a;
  }

  async image(fingerprint: string): Promise<Image> {
    return (await this.client.images.get(fingerprint)).image;
  }

  secret(fingerprint: string): Promise<string> {
    return this.client.images.secret(fingerprint);
  }

  async save(fingerprint: string, targets: ImageFileTargets): Promise<ImageFileResult> {
    return saveImageFile(await this.client.images.export(fingerprint), fingerprint, targets);
  }
}

/** An LXD-protocol server already connected to. */
export function lxdImageServer(client: LodgeClient): ImageServer {
  return new LxdImageServer(client);
}

/** The local machine's architecture, preferred among a simplestreams server's (as lxc's osarch.ArchitectureGetLocal). */
function localArchitecture(): string {
  return architectureName(machine()) ?? machine();
}

/** lxc's simplestreams images have no profile list at all (JSON null), where the catalogue gives an empty one. */
function asLxc(i: Image): Image {
  return { ...i, profiles: null as unknown as string[] };
}

class StreamsImageServer implements ImageServer {
  readonly protocol = 'simplestreams';
  private readonly streams: SimpleStreamsClient;

  constructor(
    readonly url: string,
    private readonly certificate: string,
  ) {
    this.streams = new SimpleStreamsClient(url, { certificate: certificate || undefined, nativeArchitecture: localArchitecture(), userAgent: userAgent() });
  }

  async connectionInfo(): Promise<SourceInfo> {
    return { protocol: 'simplestreams', addresses: [this.url], certificate: this.certificate, url: this.url, project: '' };
  }

  async list(filter: string): Promise<Image[]> {
    if (filter !== '') throw new Error('GetImagesWithFilter is not supported by the simplestreams protocol');
    return (await this.streams.catalog()).images.map(asLxc);
  }

  async aliases(): Promise<ImageAliasesEntry[]> {
    return (await this.streams.catalog()).listAliases();
  }

  async alias(type: string, name: string): Promise<ImageAliasesEntry> {
    return (await this.streams.catalog()).getAliasType(type, name);
  }

  async image(fingerprint: string): Promise<Image> {
    try {
      return asLxc((await this.streams.catalog()).getImage(fingerprint));
    } catch (e) {
      throw new Error(`Failed getting image: ${(e as Error).message}`);
    }
  }

  async secret(): Promise<string> {
    throw new Error("Private images aren't supported by the simplestreams protocol");
  }

  /** Each file is checked against its sha256 as it arrives (no progress: the server gives no total for both). */
  async save(fingerprint: string, targets: ImageFileTargets): Promise<ImageFileResult> {
    const { meta, rootfs } = targets;
    if (!rootfs) throw new Error('Simplestreams images come as two files: a rootfs target is needed');
    const r = await this.streams.download(fingerprint, { meta, rootfs });
    return { metaName: r.metaName, metaSize: r.metaSize, rootfsName: r.rootfsName, rootfsSize: r.rootfsSize };
  }
}

/**
 * The image server behind a remote. `ownProject`: the remote's own project rather than --project (image copy reads its
 * source there, as lxc reverts --project for it).
 */
export async function imageServer(ctx: Context, remote: string, ownProject = false): Promise<ImageServer> {
  const conf = await ctx.conf();
  const r = conf.remotes[remote];
  if (!r) throw new Error(`The remote "${remote}" doesn't exist`);
  if (r.protocol === 'simplestreams') {
    const pem = await readFile(serverCertPath(ctx.confDir, remote), 'utf8').catch(() => '');
    return new StreamsImageServer(r.addr.replace(/\/+$/, ''), pem);
  }
  const client = await ctx.imageClient(remote);
  return new LxdImageServer(ownProject && !r.public ? client.useProject(r.project || 'default', r.project !== undefined) : client);
}

/** `[remote:]name` as an image server and the name on it (lxc's GetImageServer, honouring --project). */
export async function resolveImageServer(ctx: Context, raw: string): Promise<{ remote: string; name: string; server: ImageServer }> {
  const ref = await ctx.ref(raw);
  return { ...ref, server: await imageServer(ctx, ref.remote) };
}

/** lxc's dereferenceAlias: an alias name becomes its target; anything else (a fingerprint or prefix) passes through. */
export async function dereference(s: ImageServer, type: string, name: string): Promise<string> {
  const n = name === '' ? 'default' : name;
  return s.alias(type, n).then(
    (a) => a.target,
    () => n,
  );
}

/** lxc's isSameServer: the same URL and unix socket. */
export async function sameServer(a: LodgeClient, b: ImageServer): Promise<boolean> {
  if (!b.client) return false;
  if (a === b.client) return true;
  const ta = a.transport.opts;
  const tb = b.client.transport.opts;
  return (ta.url ?? '') === (tb.url ?? '') && (ta.socketPath ?? '') === (tb.socketPath ?? '');
}
