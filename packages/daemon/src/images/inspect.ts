// Inspects an image or backup tarball in one streaming pass: every entry checked, small files captured.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Runner } from '../sys/runner.js';
import type { Compression } from './compression.js';
import { TarSafety, UnsafeTarError, imageRootOf, type RootOf, type TarEntryType } from './tar-safety.js';

export interface TarInspection {
  /** Contents of the members asked for, by normalised path. */
  files: Map<string, Buffer>;
  /** Normalised paths of every member. */
  entries: Set<string>;
}

export interface InspectOptions {
  path: string;
  compression: Compression;
  runner: Runner;
  /** Members whose contents to keep (each at most maxFileBytes). */
  capture: (path: string) => boolean;
  rootOf?: RootOf;
  maxFileBytes?: number;
}

const knownTypes = new Set<string>(['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

function entryType(t: string | null | undefined): TarEntryType {
  if (t === 'contiguous-file') return 'file';
  return t && knownTypes.has(t) ? (t as TarEntryType) : 'other';
}

function decompressed(opts: InspectOptions): { stream: Readable; finished: Promise<void> } {
  const file = createReadStream(opts.path);
  const cmd = opts.compression.decompress;
  if (!cmd || cmd[0] === 'gzip') {
    if (!cmd) return { stream: file, finished: Promise.resolve() };
    const gunzip = createGunzip();
    file.on('error', (e) => gunzip.destroy(e));
    return { stream: file.pipe(gunzip), finished: Promise.resolve() };
  }
  const [bin, ...args] = cmd as [string, ...string[]];
  const child = opts.runner.spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (b: Buffer) => stderr.push(b));
  child.stdin?.on('error', () => undefined);
  file.pipe(child.stdin!);
  const finished = new Promise<void>((resolve, reject) => {
    child.on('close', (code, signal) => {
      // A consumer that stopped reading early kills the decompressor; that is not an error.
      if (code === 0 || signal === 'SIGTERM' || signal === 'SIGPIPE') resolve();
      else reject(new Error(`${bin} failed: ${Buffer.concat(stderr).toString().trim() || `exit ${code}`}`));
    });
    child.on('error', reject);
  });
  return { stream: child.stdout!, finished };
}

async function readAll(stream: Readable, limit: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new UnsafeTarError(`Archive member "${name}" is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Walks the whole archive; throws UnsafeTarError on the first entry that is not safe to extract. */
export async function inspectTarball(opts: InspectOptions): Promise<TarInspection> {
  const { stream, finished } = decompressed(opts);
  const extract = tar.extract();
  const safety = new TarSafety(opts.rootOf ?? imageRootOf);
  const result: TarInspection = { files: new Map(), entries: new Set() };
  const limit = opts.maxFileBytes ?? 4 * 1024 * 1024;
  stream.on('error', (e) => extract.destroy(e));
  stream.pipe(extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const path = safety.check({ name: h.name, type: entryType(h.type), linkname: h.linkname });
      result.entries.add(path);
      if (h.type === 'file' && opts.capture(path)) result.files.set(path, await readAll(entry as unknown as Readable, limit, h.name));
      else entry.resume();
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof UnsafeTarError) throw e;
    throw new UnsafeTarError(`Invalid tarball: ${(e as Error).message}`);
  }
  await finished;
  return result;
}
