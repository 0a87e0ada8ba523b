// Compression detection by magic bytes, and the command that decompresses each kind.
import { open } from 'node:fs/promises';

export interface Compression {
  /** File extension LXD uses for the kind (".tar.gz", ".squashfs", ...). */
  ext: string;
  /** Decompressor argv (reads stdin, writes stdout); undefined for plain tar or squashfs. */
  decompress?: string[];
  squashfs: boolean;
  tar: boolean;
}

const kinds: { magic: number[]; offset?: number; c: Compression }[] = [
  { magic: [0x1f, 0x8b], c: { ext: '.tar.gz', decompress: ['gzip', '-dc'], squashfs: false, tar: true } },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], c: { ext: '.tar.xz', decompress: ['xz', '-dc'], squashfs: false, tar: true } },
  { magic: [0x42, 0x5a, 0x68], c: { ext: '.tar.bz2', decompress: ['bzip2', '-dc'], squashfs: false, tar: true } },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], c: { ext: '.tar.zst', decompress: ['zstd', '-dc'], squashfs: false, tar: true } },
  { magic: [0x5d, 0x00, 0x00], c: { ext: '.tar.lzma', decompress: ['lzma', '-dc'], squashfs: false, tar: true } },
  { magic: [0x68, 0x73, 0x71, 0x73], c: { ext: '.squashfs', squashfs: true, tar: false } },
  { magic: [0x51, 0x46, 0x49, 0xfb], c: { ext: '.qcow2', squashfs: false, tar: false } },
  { magic: [0x75, 0x73, 0x74, 0x61, 0x72], offset: 257, c: { ext: '.tar', squashfs: false, tar: true } },
];

export function detectCompressionFromBytes(head: Buffer): Compression | undefined {
  for (const k of kinds) {
    const off = k.offset ?? 0;
    if (head.length >= off + k.magic.length && k.magic.every((b, i) => head[off + i] === b)) return k.c;
  }
  return undefined;
}

export async function detectCompression(path: string): Promise<Compression | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    return detectCompressionFromBytes(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
