// Image export: the unified file as-is, or metadata + rootfs as multipart/form-data (split images).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { ImageRecord } from '../db/records.js';
import type { Paths } from '../sys/paths.js';
import { detectCompression } from './compression.js';

export interface ExportBody {
  headers: Record<string, string | number>;
  body: Readable;
}

async function extOf(path: string): Promise<string> {
  return (await detectCompression(path))?.ext ?? '';
}

export async function exportImage(paths: Paths, rec: ImageRecord): Promise<ExportBody> {
  const fp = rec.fingerprint;
  const metaPath = paths.image(fp);
  const metaExt = await extOf(metaPath);
  if (!rec.split) {
    const size = (await stat(metaPath)).size;
    return {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': size,
        'Content-Disposition': `inline;filename=${fp}${metaExt}`,
      },
      body: createReadStream(metaPath),
    };
  }
  const rootfsPath = paths.imageRootfs(fp);
  const rootfsExt = await extOf(rootfsPath);
  const boundary = randomBytes(30).toString('hex');
  const part = rec.type === 'virtual-machine' ? 'rootfs.img' : 'rootfs';
  const out = new PassThrough();
  void (async () => {
    try {
      await writePart(out, boundary, 'metadata', `meta-${fp}${metaExt}`, metaPath);
      await writePart(out, boundary, part, `${fp}${rootfsExt}`, rootfsPath);
      out.end(`\r\n--${boundary}--\r\n`);
    } catch (e) {
      out.destroy(e as Error);
    }
  })();
  return { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: out };
}

async function writePart(out: PassThrough, boundary: string, name: string, filename: string, path: string): Promise<void> {
  const head = `${name === 'metadata' ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  if (!out.write(head)) await new Promise((r) => out.once('drain', r));
  for await (const chunk of createReadStream(path)) {
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
}
