// Images from image servers (simplestreams, or another LXD/lodged): resolve, reuse what is here, else download,
// check every byte against its sha256, and record it through the importer (LXD's ImageDownload).
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Image, ImageSource } from '@lodge/api';
import { ApiError, formatTime, isApiError } from '@lodge/api';
import { LxdImageServer, SimpleStreamsClient } from '@lodge/client';
import type { ImageRecord } from '../db/records.js';
import type { LifecycleOptions } from '../events/hub.js';
import { tempName } from '../sys/fs.js';
import type { Logger } from '../sys/log.js';
import { KeyedLock } from '../util/lock.js';
import { cachedFromSource, indexMaxAge } from './cache-policy.js';
import type { ImageImporter } from './importer.js';
import type { ImageService } from './service.js';
import type { SpooledImage } from './upload.js';

export interface DownloadArgs {
  project: string;
  server: string;
  /** "lxd" (default) or "simplestreams". */
  protocol?: string;
  /** The server's certificate (PEM) to pin; empty for the system CAs. */
  certificate?: string;
  /** One-time secret for a private image on an LXD server (then `alias` is its fingerprint). */
  secret?: string;
  /** An alias on the server, or a (partial) fingerprint. */
  alias: string;
  /** Image type wanted ("container", "virtual-machine"; empty: any). */
  type?: string;
  /** Project on the source server (LXD protocol). */
  sourceProject?: string;
  /** Mark the image cached (pulled by instance creation). */
  setCached?: boolean;
  /** Use an image already pulled from the same source and alias rather than a newer one. */
  preferCached?: boolean;
  /** auto_update for an image requested by alias. */
  autoUpdate?: boolean;
  public?: boolean;
  /** Fetch the server's index again even if it was read recently (manual refresh). */
  fresh?: boolean;
  /** Operation metadata updates (download_progress). */
  progress?: (metadata: Record<string, unknown>) => void;
  signal?: AbortSignal;
  lc: LifecycleOptions;
}

/** What the source said about the image, and how to fetch its files into two sinks. */
interface RemoteImage {
  fingerprint: string;
  info?: Image;
  describe(): Promise<Image>;
  fetch(targets: { meta: WriteStream; rootfs: WriteStream }, onProgress: (text: string) => void): Promise<{ fingerprint: string; metaSize: number; rootfsSize: number; rootfsName: string }>;
}

const userAgent = 'lodge';

function closeStream(s: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.closed) return resolve();
    s.once('error', reject);
    s.end(() => (s.closed ? resolve() : s.once('close', () => resolve())));
  });
}

export class ImageDownloader {
  private readonly locks = new KeyedLock();
  private readonly streams = new Map<string, SimpleStreamsClient>();

  constructor(
    private readonly images: ImageService,
    private readonly importer: ImageImporter,
    private readonly host: { architectures: string[] },
    private readonly log: Logger,
  ) {}

  /** The client of a simplestreams server (one per URL and certificate, so its index cache is shared). */
  simplestreams(server: string, certificate: string): SimpleStreamsClient {
    const key = `${server}\n${certificate}`;
    let c = this.streams.get(key);
    if (!c) {
      c = new SimpleStreamsClient(server, { certificate, nativeArchitecture: this.host.architectures[0] ?? 'x86_64', userAgent });
      this.streams.set(key, c);
    }
    return c;
  }

  private async fromSimpleStreams(a: DownloadArgs, maxAgeMs: number): Promise<RemoteImage> {
    const client = this.simplestreams(a.server, a.certificate ?? '');
    const catalog = await client.catalog({ maxAgeMs: a.fresh ? 0 : maxAgeMs, signal: a.signal }).catch((e: Error) => {
      throw ApiError.badRequest(`Failed to connect to simple streams server "${a.server}": ${e.message}`);
    });
    let image: Image;
    try {
      image = catalog.resolve(a.type ?? '', a.alias).image;
    } catch (e) {
      throw ApiError.notFound(`Failed getting remote image info: ${(e as Error).message}`);
    }
    return {
      fingerprint: image.fingerprint,
      info: image,
      describe: async () => image,
      fetch: (t, onProgress) => client.download(image.fingerprint, t, { signal: a.signal, onProgress, maxAgeMs: Infinity }),
    };
  }

  private async fromLxd(a: DownloadArgs): Promise<RemoteImage> {
    const server = new LxdImageServer(a.server, a.certificate ?? '', a.sourceProject);
    await server.connect().catch((e: Error) => {
      throw ApiError.badRequest(`Failed to connect to LXD server "${a.server}": ${e.message}`);
    });
    let fingerprint = a.alias;
    let info: Image | undefined;
    if (!a.secret) {
      try {
        fingerprint = (await server.getAlias(a.type ?? '', a.alias)).target;
      } catch {
        fingerprint = a.alias;
      }
      try {
        info = await server.getImage(fingerprint);
      } catch (e) {
        throw new ApiError(isApiError(e) ? e.status : 400, `Failed getting remote image info: ${(e as Error).message}`);
      }
      fingerprint = info.fingerprint;
    }
    const remote: RemoteImage = {
      fingerprint,
      info,
      // A private image is looked up with the secret only when it has to be downloaded (its first use spends it).
      describe: async () => (remote.info ??= await server.getImage(fingerprint, a.secret)),
      fetch: async (t, onProgress) => {
        const full = (await remote.describe()).fingerprint;
        const r = await server.download(full, t, { secret: a.secret, signal: a.signal, onProgress });
        return { fingerprint: full, metaSize: r.metaSize, rootfsSize: r.rootfsSize, rootfsName: r.rootfsName };
      },
    };
    return remote;
  }

  /** Finds or fetches the image; resolves with its record in the project. */
  async download(a: DownloadArgs): Promise<ImageRecord> {
    const protocol = a.protocol || 'lxd';
    if (protocol !== 'lxd' && protocol !== 'simplestreams') throw ApiError.badRequest(`Unsupported protocol: ${protocol}`);
    const settings = await this.images.cacheSettings(a.project);
    const remote = protocol === 'simplestreams' ? await this.fromSimpleStreams(a, indexMaxAge(settings.autoUpdateIntervalMs)) : await this.fromLxd(a);
    let fp = remote.fingerprint;
    // Requested by fingerprint (or through a secret): no alias to follow later.
    const byAlias = !a.secret && a.alias !== fp && !fp.startsWith(a.alias);
    return this.locks.run(fp, async () => {
      if (a.preferCached && settings.autoUpdateIntervalMs > 0 && byAlias) {
        const cached = await this.images.store.read(async (tx) =>
          cachedFromSource(await tx.images.list(await this.images.scope(tx, a.project)), { server: a.server, protocol, alias: a.alias, type: a.type ?? '', architectures: this.host.architectures }),
        );
        if (cached) fp = cached.fingerprint;
      }
      const here = await this.images.store.read((tx) => this.images.resolve(tx, a.project, fp)).catch(() => undefined);
      if (here) return here;
      // LXD leaves update_source.image_type empty.
      const source: ImageSource = { alias: a.alias, certificate: a.certificate ?? '', protocol, server: a.server, image_type: '' };
      return (await this.adopt(a, fp, source, byAlias)) ?? this.fetch(a, remote, byAlias ? source : undefined, byAlias);
    });
  }

  /** The same image already in another project: its files are here, only a record is added (as LXD does). */
  private async adopt(a: DownloadArgs, fp: string, source: ImageSource, byAlias: boolean): Promise<ImageRecord | undefined> {
    return this.images.store.tx(async (tx) => {
      const other = (await tx.images.all()).find((i) => i.name === fp)?.value;
      if (!other) return undefined;
      const scope = await this.images.scope(tx, a.project);
      const now = formatTime(new Date());
      const rec: ImageRecord = {
        ...other,
        public: a.public ?? false,
        auto_update: byAlias ? (a.autoUpdate ?? false) : other.auto_update,
        cached: a.setCached ?? false,
        last_used_at: a.setCached ? now : other.last_used_at,
        uploaded_at: now,
        update_source: source,
        profiles: ['default'],
      };
      await tx.images.create(scope, fp, rec);
      return rec;
    });
  }

  private async fetch(a: DownloadArgs, remote: RemoteImage, source: ImageSource | undefined, byAlias: boolean): Promise<ImageRecord> {
    const dir = this.images.paths.images;
    const metaPath = tempName(dir, '.upload-dl-meta-');
    const rootfsPath = tempName(dir, '.upload-dl-rootfs-');
    const cleanup = async (): Promise<void> => {
      await rm(metaPath, { force: true });
      await rm(rootfsPath, { force: true });
    };
    let spooled: SpooledImage;
    let info: Image;
    try {
      this.log.info('Downloading image', { server: a.server, alias: a.alias, fingerprint: remote.fingerprint });
      info = await remote.describe();
      const meta = createWriteStream(metaPath, { mode: 0o600 });
      const rootfs = createWriteStream(rootfsPath, { mode: 0o600 });
      let got: Awaited<ReturnType<RemoteImage['fetch']>>;
      try {
        got = await remote.fetch({ meta, rootfs }, (text) => a.progress?.({ download_progress: text }));
      } finally {
        await Promise.all([closeStream(meta), closeStream(rootfs)]);
      }
      if (got.rootfsSize === 0) await rm(rootfsPath, { force: true });
      spooled = {
        metaPath,
        rootfsPath: got.rootfsSize > 0 ? rootfsPath : undefined,
        rootfsPart: info.type === 'virtual-machine' ? 'rootfs.img' : 'rootfs',
        rootfsFilename: got.rootfsName || undefined,
        fingerprint: got.fingerprint,
        size: got.metaSize + got.rootfsSize,
        cleanup,
      };
    } catch (e) {
      await cleanup();
      if (a.signal?.aborted) throw e;
      throw isApiError(e) ? e : ApiError.badRequest((e as Error).message);
    }
    const now = formatTime(new Date());
    const rec = await this.importer.import({
      project: a.project,
      spooled,
      expectedFingerprint: info.fingerprint,
      public: a.public ?? false,
      filename: info.filename || undefined,
      properties: info.properties ?? {},
      metadataProperties: false,
      cached: a.setCached ?? false,
      lastUsedAt: a.setCached ? now : undefined,
      autoUpdate: byAlias ? (a.autoUpdate ?? false) : false,
      updateSource: source,
      createdAt: info.created_at || undefined,
      expiresAt: info.expires_at || undefined,
      lc: a.lc,
    });
    this.log.info('Image downloaded', { fingerprint: rec.fingerprint, server: a.server });
    return rec;
  }
}
