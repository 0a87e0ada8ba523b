// A simplestreams image server over HTTPS: index and products files (kept for a while), image files checked by sha256.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { readBody } from './transport.js';
import { downloadVerified, httpsGet, joinUrl, type HttpsGetOptions } from './image-remote.js';
import { productPaths, SimpleStreamsCatalog, type Products, type Stream } from './simplestreams.js';

export interface SimpleStreamsOptions {
  /** Pinned server certificate (PEM); system CAs when absent. */
  certificate?: string;
  /** The host's architecture (LXD name), preferred when resolving aliases. */
  nativeArchitecture: string;
  userAgent?: string;
}

export interface SimpleStreamsDownload {
  /** sha256 over the metadata file then the rootfs file: the image fingerprint. */
  fingerprint: string;
  metaSize: number;
  metaName: string;
  rootfsSize: number;
  rootfsName: string;
}

/** One simplestreams server; the catalogue is cached and fetched again once older than the caller allows. */
export class SimpleStreamsClient {
  private cached?: { catalog: SimpleStreamsCatalog; at: number };
  /** Number of times the index and products were fetched (tests and logs). */
  fetches = 0;

  constructor(
    readonly url: string,
    private readonly opts: SimpleStreamsOptions,
  ) {}

  private get http(): HttpsGetOptions {
    return { ca: this.opts.certificate || undefined, userAgent: this.opts.userAgent };
  }

  private async json<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await httpsGet(joinUrl(this.url, path), { ...this.http, signal });
    const body = (await readBody(res)).toString();
    try {
      return JSON.parse(body) as T;
    } catch (e) {
      throw new Error(`Failed decoding JSON from "${path}": ${(e as Error).message}`);
    }
  }

  /**
   * The server's images and aliases. A cached catalogue younger than maxAgeMs is reused; when the
   * server can't be reached, an older one is used rather than failing (as LXD does).
   */
  async catalog(opts: { maxAgeMs?: number; signal?: AbortSignal } = {}): Promise<SimpleStreamsCatalog> {
    const maxAge = opts.maxAgeMs ?? 3_600_000;
    if (this.cached && Date.now() - this.cached.at < maxAge) return this.cached.catalog;
    try {
      const stream = await this.json<Stream>('streams/v1/index.json', opts.signal);
      if (!stream || typeof stream.index !== 'object' || stream.index === null) throw new Error('Failed parsing stream: no index');
      const products = new Map<string, Products>();
      for (const path of productPaths(stream)) products.set(path, await this.json<Products>(path, opts.signal));
      this.fetches++;
      const catalog = SimpleStreamsCatalog.from(stream, products, { url: this.url, nativeArchitecture: this.opts.nativeArchitecture });
      this.cached = { catalog, at: Date.now() };
      return catalog;
    } catch (e) {
      if (this.cached && !opts.signal?.aborted) return this.cached.catalog;
      throw e;
    }
  }

  /**
   * Downloads an image's files (metadata, then rootfs for split images), each checked against its own
   * sha256; the combined hash is returned as the fingerprint for the caller to compare.
   */
  async download(
    fingerprint: string,
    targets: { meta: Writable; rootfs: Writable },
    opts: { signal?: AbortSignal; onProgress?: (text: string) => void; maxAgeMs?: number } = {},
  ): Promise<SimpleStreamsDownload> {
    const files = (await this.catalog({ maxAgeMs: opts.maxAgeMs, signal: opts.signal })).getFiles(fingerprint);
    const combined = createHash('sha256');
    const fetch = async (key: 'meta' | 'root', label: string, out: Writable) => {
      const f = files[key];
      if (!f) return { size: 0, name: '' };
      if (!f.sha256) throw new Error(`No sha256 for ${f.path}`);
      const r = await downloadVerified(joinUrl(this.url, f.path), out, { ...this.http, signal: opts.signal, sha256: f.sha256, label, onProgress: opts.onProgress, onData: (b) => combined.update(b) });
      return { size: r.size, name: f.path.split('/').pop() ?? '' };
    };
    const meta = await fetch('meta', 'metadata', targets.meta);
    const root = await fetch('root', 'rootfs', targets.rootfs);
    return { fingerprint: combined.digest('hex'), metaSize: meta.size, metaName: meta.name, rootfsSize: root.size, rootfsName: root.name };
  }
}
