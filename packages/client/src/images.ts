// Image and alias calls: list, get, import (unified or split), export, update, delete, aliases.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Image, ImageAliasesEntry, ImagePut, ImagesPost, Operation } from '@lodge/api';
import type { LodgeClient } from './client.js';
import type { RemoteOperation } from './operation.js';
import { readBody } from './transport.js';

export interface ImportImageOptions {
  /** Metadata tarball (or the unified image). */
  metaFile: string;
  rootfsFile?: string;
  public?: boolean;
  filename?: string;
  properties?: Record<string, string>;
  /** Sent as X-LXD-profiles (`profile=a&profile=b`). */
  profiles?: string[];
  /** File names in the multipart parts (default: the files' base names). */
  metaName?: string;
  rootfsName?: string;
  /** `rootfs.img` for virtual-machine images. */
  rootfsPart?: 'rootfs' | 'rootfs.img';
  /** Called with bytes sent so far. */
  onProgress?: (sent: number, total: number) => void;
  /** Extra request headers (X-LXD-fingerprint, X-LXD-secret for a push token). */
  headers?: Record<string, string>;
}

function counting(total: number, onProgress?: (sent: number, total: number) => void): Transform {
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      onProgress?.(sent, total);
      cb(null, chunk);
    },
  });
}

interface PartFile {
  path: string;
  name: string;
  filename: string;
}

function multipart(meta: PartFile, rootfs: PartFile, boundary: string): Readable {
  const out = new PassThrough();
  const part = async (f: PartFile, first: boolean): Promise<void> => {
    out.write(`${first ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const path = f.path;
    for await (const chunk of createReadStream(path)) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  };
  void (async () => {
    try {
      await part(meta, true);
      await part(rootfs, false);
      out.end(`\r\n--${boundary}--\r\n`);
    } catch (e) {
      out.destroy(e as Error);
    }
  })();
  return out;
}

export class Images {
  constructor(private readonly c: LodgeClient) {}

  async list(filter = ''): Promise<Image[]> {
    return this.c.get<Image[]>(`/1.0/images?recursion=1${filter ? `&filter=${encodeURIComponent(filter)}` : ''}`);
  }

  async get(fingerprint: string): Promise<{ image: Image; etag?: string }> {
    const r = await this.c.query<Image>('GET', `/1.0/images/${encodeURIComponent(fingerprint)}`);
    return { image: r.metadata, etag: r.etag };
  }

  /** Resolves an alias or (partial) fingerprint to the image. */
  async resolve(nameOrFingerprint: string): Promise<Image> {
    try {
      const alias = await this.alias(nameOrFingerprint);
      return (await this.get(alias.target)).image;
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
      return (await this.get(nameOrFingerprint)).image;
    }
  }

  async update(fingerprint: string, put: ImagePut, etag?: string): Promise<void> {
    await this.c.query('PUT', `/1.0/images/${encodeURIComponent(fingerprint)}`, put, { etag });
  }

  async delete(fingerprint: string): Promise<RemoteOperation> {
    return this.c.operation('DELETE', `/1.0/images/${encodeURIComponent(fingerprint)}`);
  }

  async import(opts: ImportImageOptions): Promise<RemoteOperation> {
    const events = await this.c.events();
    return this.c.track(await this.upload(opts), events);
  }

  /** Sends the upload and returns the server's operation without following it (untrusted pushes can't use events). */
  async upload(opts: ImportImageOptions): Promise<Operation> {
    const metaSize = (await stat(opts.metaFile)).size;
    const rootSize = opts.rootfsFile ? (await stat(opts.rootfsFile)).size : 0;
    const headers: Record<string, string> = { ...opts.headers };
    let body: Readable;
    if (opts.rootfsFile) {
      const boundary = randomBytes(16).toString('hex');
      headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
      body = multipart(
        { path: opts.metaFile, name: 'metadata', filename: opts.metaName ?? basename(opts.metaFile) },
        { path: opts.rootfsFile, name: opts.rootfsPart ?? 'rootfs', filename: opts.rootfsName ?? basename(opts.rootfsFile) },
        boundary,
      );
    } else {
      headers['Content-Type'] = 'application/octet-stream';
      body = createReadStream(opts.metaFile);
    }
    if (opts.public) headers['X-LXD-public'] = 'true';
    if (opts.filename) headers['X-LXD-filename'] = opts.filename;
    if (opts.properties && Object.keys(opts.properties).length > 0) headers['X-LXD-properties'] = new URLSearchParams(opts.properties).toString();
    if (opts.profiles && opts.profiles.length > 0) headers['X-LXD-profiles'] = new URLSearchParams(opts.profiles.map((p): [string, string] => ['profile', p])).toString();
    const res = await this.c.raw('POST', '/1.0/images', body.pipe(counting(metaSize + rootSize, opts.onProgress)), { headers });
    const env = JSON.parse((await readBody(res)).toString()) as { metadata: Operation };
    return env.metadata;
  }

  /** POST /1.0/images with a JSON body (publish from an instance or snapshot, copy from another server, URL). */
  create(body: ImagesPost): Promise<RemoteOperation> {
    return this.c.operation('POST', '/1.0/images', body);
  }

  /** A one-time secret that lets another server (or an untrusted client) fetch a private image. */
  async secret(fingerprint: string): Promise<string> {
    const r = await this.c.query<Operation>('POST', `/1.0/images/${encodeURIComponent(fingerprint)}/secret`);
    const secret = r.metadata?.metadata?.secret;
    if (typeof secret !== 'string') throw new Error('The server did not return an image secret');
    return secret;
  }

  /** Starts an export; the response is a single file or multipart (metadata + rootfs). */
  async export(fingerprint: string): Promise<IncomingMessage> {
    return this.c.raw('GET', `/1.0/images/${encodeURIComponent(fingerprint)}/export`);
  }

  async aliases(): Promise<ImageAliasesEntry[]> {
    return this.c.get<ImageAliasesEntry[]>('/1.0/images/aliases?recursion=1');
  }

  async alias(name: string): Promise<ImageAliasesEntry> {
    return this.c.get<ImageAliasesEntry>(`/1.0/images/aliases/${encodeURIComponent(name)}`);
  }

  async createAlias(name: string, target: string, description = ''): Promise<void> {
    await this.c.query('POST', '/1.0/images/aliases', { name, target, description, type: '' });
  }

  async renameAlias(name: string, to: string): Promise<void> {
    await this.c.query('POST', `/1.0/images/aliases/${encodeURIComponent(name)}`, { name: to });
  }

  async deleteAlias(name: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/images/aliases/${encodeURIComponent(name)}`);
  }
}
