// Fetching images from image servers: HTTPS GETs (system CAs or a pinned certificate), sha256-checked
// downloads with LXD-style progress text, and an LXD server's public image API as an untrusted client.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { Writable } from 'node:stream';
import type { Image, ImageAliasesEntry, Operation } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { LodgeClient } from './client.js';
import { saveImageFile, type ImageFileResult } from './image-file.js';
import { readBody } from './transport.js';

export interface HttpsGetOptions {
  /** Pinned server certificate (PEM); the system CAs (and NODE_EXTRA_CA_CERTS) when absent. */
  ca?: string;
  userAgent?: string;
  signal?: AbortSignal;
}

/** GET over HTTPS, following redirects; resolves with a 200 response (its body unread), else throws. */
export async function httpsGet(url: string, opts: HttpsGetOptions = {}): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; hop < 10; hop++) {
    if (current.protocol !== 'https:') throw new Error(`Only https URLs are supported: ${current.href}`);
    const auth = current.username ? `Basic ${Buffer.from(`${decodeURIComponent(current.username)}:${decodeURIComponent(current.password)}`).toString('base64')}` : undefined;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(current, {
        headers: { 'User-Agent': opts.userAgent ?? 'lodge', ...(auth ? { Authorization: auth } : {}) },
        signal: opts.signal,
        // A pinned certificate is trusted as itself, whatever name it carries (as LXD's client does).
        ...(opts.ca ? { ca: opts.ca, checkServerIdentity: () => undefined } : {}),
      });
      // No byte for 30 s (before the headers or while the body streams) ends the transfer.
      req.setTimeout(30_000, () => req.destroy(new Error(`Timed out fetching ${current.href}`)));
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`Unable to fetch ${current.href}: ${status} ${res.statusMessage ?? ''}`.trim());
    }
    return res;
  }
  throw new Error(`Too many redirects fetching ${url}`);
}

/** units.GetByteSizeString (SI units, two decimals). */
export function byteSizeString(n: number): string {
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  if (n < 1000) return `${Math.floor(n)}B`;
  let v = n;
  for (const u of units) if ((v /= 1000) < 1000 || u === 'EB') return `${v.toFixed(2)}${u}`;
  return `${n}B`;
}

/**
 * LXD's ioprogress text for a transfer: "45% (12.30MB/s)" when the length is known, "1.20MB (3.40MB/s)"
 * otherwise, prefixed with "label: " when given. Reports the start, each whole percent (at most every
 * 250 ms) and the end.
 */
export class ProgressText {
  private readonly start = Date.now();
  private lastAt = 0;
  private lastPercent = -1;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly label = '',
  ) {}

  update(received: number, total: number, final = false): void {
    const now = Date.now();
    const percent = total > 0 ? Math.min(100, Math.floor((received / total) * 100)) : -1;
    if (!final && this.lastAt !== 0 && (now - this.lastAt < 250 || (total > 0 && percent === this.lastPercent))) return;
    this.lastAt = now;
    this.lastPercent = percent;
    const elapsed = Math.max(0.001, (now - this.start) / 1000);
    const speed = byteSizeString(received / elapsed);
    const amount = total > 0 ? `${percent}%` : byteSizeString(received);
    this.emit(`${this.label ? `${this.label}: ` : ''}${amount} (${speed}/s)`);
  }
}

function write(out: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => out.write(data, (e) => (e ? reject(e) : resolve())));
}

export interface DownloadOptions extends HttpsGetOptions {
  /** The sha256 the file must have (hex); a mismatch rejects after the transfer. */
  sha256?: string;
  /** Progress label ("metadata", "rootfs"). */
  label?: string;
  onProgress?: (text: string) => void;
  /** Sees every chunk (a combined fingerprint over several files). */
  onData?: (chunk: Buffer) => void;
}

/** Downloads a file into a stream, hashing it; resolves with its size and sha256 once checked. */
export async function downloadVerified(url: string, out: Writable, opts: DownloadOptions = {}): Promise<{ size: number; sha256: string }> {
  const res = await httpsGet(url, opts);
  const total = Number(res.headers['content-length'] ?? 0) || 0;
  const progress = opts.onProgress ? new ProgressText(opts.onProgress, opts.label) : undefined;
  const hash = createHash('sha256');
  let size = 0;
  progress?.update(0, total);
  for await (const chunk of res) {
    const b = chunk as Buffer;
    hash.update(b);
    opts.onData?.(b);
    size += b.length;
    await write(out, b);
    progress?.update(size, total);
  }
  progress?.update(size, total, true);
  const sha256 = hash.digest('hex');
  if (opts.sha256 && sha256 !== opts.sha256.toLowerCase()) throw new Error(`Hash mismatch for ${url}: ${sha256} != ${opts.sha256}`);
  return { size, sha256 };
}

/** Joins a server URL and a path relative to it (as LXD's shared.JoinUrls). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * Another LXD (or lodged) serving its public images, reached as an untrusted client: what LXD's
 * ConnectPublicLXD uses (GET /1.0, aliases, images, export, with ?secret= for private ones).
 */
export class LxdImageServer {
  readonly client: LodgeClient;

  constructor(
    readonly url: string,
    /** The server's certificate (PEM) to pin; empty for the system CAs. */
    readonly certificate: string,
    project = 'default',
  ) {
    this.client = LodgeClient.https(url, { ca: certificate || undefined }, project || 'default');
  }

  /** Checks that the server answers the API. */
  async connect(): Promise<void> {
    await this.client.get('/1.0');
  }

  /** The alias if it exists (and is of the type, when one is given); 404 otherwise. */
  async getAlias(type: string, name: string): Promise<ImageAliasesEntry> {
    const alias = await this.client.get<ImageAliasesEntry>(`/1.0/images/aliases/${encodeURIComponent(name)}`);
    if (type && alias.type && alias.type !== type) throw ApiError.notFound(`Alias '${name}' of type ${type} doesn't exist`);
    return alias;
  }

  async getImage(fingerprint: string, secret = ''): Promise<Image> {
    const q = secret ? `?secret=${encodeURIComponent(secret)}` : '';
    return this.client.get<Image>(`/1.0/images/${encodeURIComponent(fingerprint)}${q}`);
  }

  /** Downloads the export into meta (and rootfs, for split images); the bytes must hash to the fingerprint. */
  async download(fingerprint: string, targets: { meta: Writable; rootfs: Writable }, opts: { secret?: string; signal?: AbortSignal; onProgress?: (text: string) => void } = {}): Promise<ImageFileResult> {
    const q = opts.secret ? `?secret=${encodeURIComponent(opts.secret)}` : '';
    const res = await this.client.raw('GET', `/1.0/images/${encodeURIComponent(fingerprint)}/export${q}`, undefined, { signal: opts.signal });
    const progress = opts.onProgress ? new ProgressText(opts.onProgress) : undefined;
    progress?.update(0, Number(res.headers['content-length'] ?? 0) || 0);
    const result = await saveImageFile(res, fingerprint, { ...targets, onProgress: (n, total) => progress?.update(n, total) });
    progress?.update(result.metaSize + result.rootfsSize, result.metaSize + result.rootfsSize, true);
    return result;
  }
}

export interface PushOptions {
  fingerprint: string;
  /** The push token's secret from the target (POST /1.0/images with source.mode "push"). */
  secret: string;
  metaFile: string;
  rootfsFile?: string;
  filename?: string;
}

/**
 * Uploads an image into a target's push token as an untrusted client (X-LXD-fingerprint + X-LXD-secret),
 * then waits for the target's import through the upload operation's own secret.
 */
export async function pushImage(target: LodgeClient, opts: PushOptions): Promise<Operation> {
  const op = await target.images.upload({
    metaFile: opts.metaFile,
    rootfsFile: opts.rootfsFile,
    filename: opts.rootfsFile ? undefined : opts.filename,
    headers: { 'X-LXD-fingerprint': opts.fingerprint, 'X-LXD-secret': opts.secret },
  });
  const secret = typeof op.metadata?.secret === 'string' ? op.metadata.secret : '';
  const res = await target.raw('GET', `/1.0/operations/${encodeURIComponent(op.id)}/wait?secret=${encodeURIComponent(secret)}&timeout=-1`);
  const done = (JSON.parse((await readBody(res)).toString()) as { metadata: Operation }).metadata;
  if (done.status_code !== 200) throw new Error(`Failed operation "${done.status}": "${done.err}"`);
  return done;
}
