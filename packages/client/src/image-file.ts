// Saving an image export response: a single file, or multipart (metadata + rootfs) parsed as it streams; checks the fingerprint.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';

export interface ImageFileTargets {
  meta: Writable;
  /** Needed for split images. */
  rootfs?: Writable;
  /** Called with body bytes received so far and the Content-Length (0 when unknown). */
  onProgress?: (received: number, total: number) => void;
}

export interface ImageFileResult {
  metaName: string;
  metaSize: number;
  rootfsName: string;
  rootfsSize: number;
}

function write(out: Writable, data: Buffer): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    out.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/** A parameter of a header like `multipart/form-data; boundary=x` or `inline;filename="a.tar.gz"`. */
export function headerParam(header: string, name: string): string | undefined {
  for (const part of header.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  }
  return undefined;
}

interface Part {
  name: string;
  filename: string;
  size: number;
  sink: Writable;
}

/** Streams multipart/form-data parts into the sinks chosen by `pick` (in order: metadata, then rootfs). */
class MultipartSaver {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'preamble' | 'headers' | 'body' | 'done' = 'preamble';
  private part?: Part;
  readonly parts: Part[] = [];
  private readonly delimiter: Buffer;

  constructor(
    boundary: string,
    private readonly pick: (index: number, name: string) => Writable,
    private readonly onData: (b: Buffer) => void,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  async push(chunk: Buffer): Promise<void> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.state === 'preamble' && !this.preamble()) return;
      if (this.state === 'headers' && !this.headers()) return;
      if (this.state === 'body' && !(await this.body())) return;
      if (this.state === 'done') return;
    }
  }

  finish(): void {
    if (this.state !== 'done') throw new Error('Invalid multipart image: truncated response');
  }

  private preamble(): boolean {
    const start = Buffer.concat([Buffer.from('\r\n'), this.buf]).indexOf(this.delimiter);
    if (start < 0) return false;
    const after = start - 2 + this.delimiter.length;
    return this.afterBoundary(after);
  }

  /** After a boundary: "--" ends the body, CRLF starts a part's headers. */
  private afterBoundary(at: number): boolean {
    if (this.buf.length < at + 2) return false;
    const tail = this.buf.subarray(at, at + 2).toString();
    this.buf = this.buf.subarray(at + 2);
    this.state = tail === '--' ? 'done' : 'headers';
    return true;
  }

  private headers(): boolean {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const head = this.buf.subarray(0, end).toString();
    this.buf = this.buf.subarray(end + 4);
    const disposition = /^content-disposition:(.*)$/im.exec(head)?.[1] ?? '';
    const name = headerParam(`x;${disposition}`, 'name') ?? '';
    const filename = headerParam(`x;${disposition}`, 'filename') ?? '';
    this.part = { name, filename, size: 0, sink: this.pick(this.parts.length, name) };
    this.parts.push(this.part);
    this.state = 'body';
    return true;
  }

  private async body(): Promise<boolean> {
    const part = this.part as Part;
    const at = this.buf.indexOf(this.delimiter);
    const keep = at >= 0 ? at : Math.max(0, this.buf.length - this.delimiter.length + 1);
    const data = this.buf.subarray(0, keep);
    part.size += data.length;
    this.onData(data);
    await write(part.sink, data);
    this.buf = this.buf.subarray(keep);
    if (at < 0) return false;
    // The buffer now starts at the delimiter; if what follows it has not arrived yet, the next push finds it again.
    return this.afterBoundary(this.delimiter.length);
  }
}

function checkHash(hash: string, fingerprint: string): void {
  if (!hash.startsWith(fingerprint)) throw new Error(`Image fingerprint doesn't match. Got ${hash} expected ${fingerprint}`);
}

async function saveMultipart(res: IncomingMessage, boundary: string, fingerprint: string, t: ImageFileTargets, progress: (n: number) => void): Promise<ImageFileResult> {
  if (!t.rootfs) throw new Error('Multi-part image but only one target file provided');
  const sha = createHash('sha256');
  const rootfs = t.rootfs;
  const saver = new MultipartSaver(
    boundary,
    (i, name) => {
      if (i === 0 && name !== 'metadata') throw new Error('Invalid multipart image');
      if (i === 1 && name !== 'rootfs' && name !== 'rootfs.img') throw new Error('Invalid multipart image');
      if (i > 1) throw new Error('Invalid multipart image');
      return i === 0 ? t.meta : rootfs;
    },
    (b) => sha.update(b),
  );
  for await (const chunk of res) {
    progress((chunk as Buffer).length);
    await saver.push(chunk as Buffer);
  }
  saver.finish();
  const [meta, root] = saver.parts;
  if (!meta || !root) throw new Error('Invalid multipart image');
  checkHash(sha.digest('hex'), fingerprint);
  return { metaName: meta.filename, metaSize: meta.size, rootfsName: root.filename, rootfsSize: root.size };
}

async function saveSingle(res: IncomingMessage, fingerprint: string, t: ImageFileTargets, progress: (n: number) => void): Promise<ImageFileResult> {
  const filename = headerParam(String(res.headers['content-disposition'] ?? 'x'), 'filename');
  if (filename === undefined) throw new Error('No filename in Content-Disposition header');
  const sha = createHash('sha256');
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    progress(b.length);
    sha.update(b);
    size += b.length;
    await write(t.meta, b);
  }
  checkHash(sha.digest('hex'), fingerprint);
  return { metaName: filename, metaSize: size, rootfsName: '', rootfsSize: 0 };
}

/** Saves an export response into the targets, as lxc's GetImageFile does, and verifies the sha256. */
export async function saveImageFile(res: IncomingMessage, fingerprint: string, t: ImageFileTargets): Promise<ImageFileResult> {
  const total = Number(res.headers['content-length'] ?? 0) || 0;
  let received = 0;
  const progress = (n: number): void => {
    received += n;
    t.onProgress?.(received, total);
  };
  const ctype = String(res.headers['content-type'] ?? 'application/octet-stream');
  if (ctype.split(';')[0]?.trim().toLowerCase() === 'multipart/form-data') {
    const boundary = headerParam(ctype, 'boundary');
    if (!boundary) throw new Error('Invalid multipart image: no boundary');
    return saveMultipart(res, boundary, fingerprint, t, progress);
  }
  return saveSingle(res, fingerprint, t, progress);
}
