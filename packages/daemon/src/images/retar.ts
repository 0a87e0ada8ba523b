// Rewrites the owners of a tar stream's entries (everything else, pax records with xattrs included, passes through).
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

export type IdShift = (id: number, isUid: boolean) => number;

/** A new tar stream whose entries' uid/gid went through shift (used to unshift LXD backups). */
export function shiftTarOwners(input: Readable, shift: IdShift): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    const { pax: _ignored, ...rest } = header as tar.Header & { pax?: unknown };
    void _ignored;
    const h: tar.Header & { pax?: Record<string, string> } = { ...rest, uid: shift(header.uid ?? 0, true), gid: shift(header.gid ?? 0, false) };
    const pax = (header as { pax?: Record<string, string> }).pax;
    if (pax) {
      // pax records may carry the owner too; they win over the header fields when read back.
      const copy: Record<string, string> = { ...pax };
      if (copy.uid !== undefined) copy.uid = String(h.uid);
      if (copy.gid !== undefined) copy.gid = String(h.gid);
      delete copy.path;
      delete copy.linkpath;
      delete copy.size;
      h.pax = copy;
    }
    const entry = pack.entry(h, (err) => next(err ?? undefined));
    (stream as unknown as Readable).pipe(entry as unknown as NodeJS.WritableStream);
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (e) => pack.destroy(e));
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  return pack as unknown as Readable;
}
