// Spools an image upload (raw body or multipart metadata + rootfs) to disk while hashing it.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ApiError } from '@lodge/api';
import { tempName } from '../sys/fs.js';

export interface SpooledImage {
  metaPath: string;
  rootfsPath?: string;
  /** "rootfs" or "rootfs.img" for split uploads. */
  rootfsPart?: string;
  rootfsFilename?: string;
  metaFilename?: string;
  fingerprint: string;
  size: number;
  cleanup(): Promise<void>;
}

function hashing(hash: Hash, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

async function spoolRaw(body: Readable, dir: string): Promise<SpooledImage> {
  const metaPath = tempName(dir, '.upload-');
  const hash = createHash('sha256');
  const count = { n: 0 };
  try {
    await pipeline(body, hashing(hash, count), createWriteStream(metaPath, { mode: 0o600 }));
  } catch (e) {
    await rm(metaPath, { force: true });
    throw e;
  }
  return { metaPath, fingerprint: hash.digest('hex'), size: count.n, cleanup: () => rm(metaPath, { force: true }) };
}

async function spoolMultipart(req: IncomingMessage, dir: string): Promise<SpooledImage> {
  const paths = [tempName(dir, '.upload-meta-'), tempName(dir, '.upload-rootfs-')] as const;
  const hash = createHash('sha256');
  const count = { n: 0 };
  const names: { part: string; filename: string }[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const bb = busboy({ headers: req.headers, limits: { files: 2, fields: 0 } });
      const writes: Promise<void>[] = [];
      bb.on('file', (part, stream, info) => {
        const index = names.length;
        const expected = index === 0 ? ['metadata'] : ['rootfs', 'rootfs.img'];
        if (index > 1 || !expected.includes(part)) {
          stream.resume();
          reject(ApiError.badRequest('Invalid multipart image'));
          return;
        }
        names.push({ part, filename: info.filename ?? '' });
        writes.push(pipeline(stream, hashing(hash, count), createWriteStream(paths[index] as string, { mode: 0o600 })));
      });
      bb.on('field', () => reject(ApiError.badRequest('Invalid multipart image')));
      bb.on('error', (e) => reject(ApiError.badRequest(`Invalid multipart image: ${(e as Error).message}`)));
      bb.on('close', () => Promise.all(writes).then(() => resolve(), reject));
      req.pipe(bb);
    });
    if (names.length !== 2) throw ApiError.badRequest('Invalid multipart image');
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    metaPath: paths[0],
    rootfsPath: paths[1],
    rootfsPart: names[1]?.part,
    metaFilename: names[0]?.filename,
    rootfsFilename: names[1]?.filename,
    fingerprint: hash.digest('hex'),
    size: count.n,
    cleanup,
  };
}

/** Writes the request body to temporary files in dir; the caller moves or cleans them. */
export async function spoolImage(req: IncomingMessage, dir: string): Promise<SpooledImage> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return spoolMultipart(req, dir);
  return spoolRaw(req, dir);
}
