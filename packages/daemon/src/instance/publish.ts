// Publish: packs a stopped instance or a snapshot into a unified image tarball (metadata.yaml, templates, rootfs).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ImageMetadata } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { exists, tempName } from '../sys/fs.js';
import { parseImageMetadata, renderImageMetadata } from '../images/metadata.js';
import type { SpooledImage } from '../images/upload.js';
import type { InstanceContext } from './context.js';
import { snapshotScope, snapshotVolume } from './naming.js';
import { runtimeState } from './runtime.js';
import { loadView } from './view.js';

export interface PublishRequest {
  /** "c1" or "c1/snap0". */
  source: string;
  properties?: Record<string, string> | null;
  expiresAt?: string;
  compression: string;
  progress: (md: Record<string, unknown>) => void;
}

const compressors: Record<string, string[] | 'gzip' | null> = { gzip: 'gzip', xz: ['xz', '-c', '-T0'], bzip2: ['bzip2', '-c'], zstd: ['zstd', '-c', '-q'], lzma: ['lzma', '-c'], none: null };

/** metadata.yaml for the image: the instance's own (properties replaced when given), or a new one. */
async function metadataFor(ctx: InstanceContext, volume: string, arch: string, req: PublishRequest): Promise<string> {
  const file = join(volume, 'metadata.yaml');
  let meta: ImageMetadata;
  if (await exists(file)) {
    meta = parseImageMetadata(await readFile(file, 'utf8'));
    if (req.properties) meta.properties = req.properties;
  } else {
    meta = { architecture: arch || ctx.host.architecture, creation_date: Math.floor(Date.now() / 1000), expiry_date: 0, properties: req.properties ?? {}, templates: {} };
  }
  if (req.expiresAt && Date.parse(req.expiresAt) > 0) meta.expiry_date = Math.floor(Date.parse(req.expiresAt) / 1000);
  return renderImageMetadata(meta);
}

function compressorFor(algorithm: string): { transform?: Transform; argv?: string[] } {
  const tool = algorithm.split(' ')[0] ?? 'gzip';
  const c = compressors[tool];
  if (c === undefined) throw ApiError.badRequest(`Unsupported compression algorithm "${algorithm}" (gzip, xz, bzip2, zstd, lzma or none)`);
  if (c === null) return {};
  if (c === 'gzip') return { transform: createGzip() };
  return { argv: c };
}

/** Resolves the source, checks it is stopped, and writes the tarball while hashing it. */
export async function packInstance(ctx: InstanceContext, project: string, req: PublishRequest): Promise<SpooledImage> {
  const [name, snap] = req.source.split('/') as [string, string | undefined];
  const view = await ctx.store.read((tx) => loadView(ctx, tx, project, name));
  if (snap !== undefined && !(await ctx.store.read((tx) => tx.snapshots.exists(snapshotScope(project, name), snap)))) throw ApiError.notFound(`Snapshot "${snap}" not found`);
  if (snap === undefined && (await runtimeState(ctx, view)).status !== 'Stopped') throw ApiError.badRequest('Cannot export a running instance as an image');
  const volume = snap === undefined ? await ctx.pools.mountPath(view.rec.pool, 'containers', view.names.volume) : await ctx.pools.mountPath(view.rec.pool, 'containers-snapshots', snapshotVolume(project, name, snap));
  const comp = compressorFor(req.compression);
  const metaDir = await mkdtemp(join(ctx.paths.tmp, 'publish-'));
  const out = tempName(ctx.paths.images, '.upload-publish-');
  try {
    await writeFile(join(metaDir, 'metadata.yaml'), await metadataFor(ctx, volume, view.rec.architecture, req));
    const members = ['-C', volume, 'rootfs', ...((await exists(join(volume, 'templates'))) ? ['templates'] : [])];
    const tar = ctx.runner.spawn('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-cf', '-', '-C', metaDir, 'metadata.yaml', ...members], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tarErr: Buffer[] = [];
    tar.stderr?.on('data', (b: Buffer) => tarErr.push(b));
    const tarDone = new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar failed: ${Buffer.concat(tarErr).toString().trim()}`)))));
    let stream: Readable = tar.stdout!;
    let compDone: Promise<void> = Promise.resolve();
    if (comp.transform) stream = stream.pipe(comp.transform);
    else if (comp.argv) {
      const [bin, ...args] = comp.argv as [string, ...string[]];
      const c = ctx.runner.spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
      stream.pipe(c.stdin!);
      stream = c.stdout!;
      compDone = new Promise((resolve, reject) => c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} failed (exit ${code})`)))));
    }
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const timer = setInterval(() => req.progress({ create_image_from_container_pack_progress: `Image pack: ${(size / 1e6).toFixed(2)}MB` }), 1000);
    try {
      await Promise.all([pipeline(stream, counter, createWriteStream(out, { mode: 0o600 })), tarDone, compDone]);
    } finally {
      clearInterval(timer);
    }
    req.progress({ create_image_from_container_pack_progress: `Image pack: ${(size / 1e6).toFixed(2)}MB` });
    return { metaPath: out, fingerprint: hash.digest('hex'), size: (await stat(out)).size, cleanup: () => rm(out, { force: true }) };
  } catch (e) {
    await rm(out, { force: true });
    throw e;
  } finally {
    await rm(metaDir, { recursive: true, force: true });
  }
}
