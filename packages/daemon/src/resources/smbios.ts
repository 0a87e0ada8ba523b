// The SMBIOS processor table (type 4) from /sys/firmware/dmi/tables/DMI: CPU vendor and model where /proc/cpuinfo has none (arm64).
import type { Host } from './host.js';

export const dmiTablePath = '/sys/firmware/dmi/tables/DMI';

interface Structure {
  type: number;
  strings: string[];
}

/**
 * Splits the raw table into structures: a 4-byte header (type, length, handle), the
 * formatted area, then NUL-terminated strings ending in an empty one. A truncated table
 * yields nothing, as a decoder error would.
 */
export function parseSmbios(buf: Buffer): Structure[] {
  const out: Structure[] = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const type = buf[pos] ?? 0;
    const length = buf[pos + 1] ?? 0;
    if (length < 4) return [];
    pos += length;
    const strings: string[] = [];
    if (buf[pos] === 0 && buf[pos + 1] === 0) {
      pos += 2;
    } else {
      for (;;) {
        const end = buf.indexOf(0, pos);
        if (end < 0 || end + 1 >= buf.length) return [];
        strings.push(buf.toString('utf8', pos, end));
        pos = end + 1;
        if (buf[pos] === 0) {
          pos += 1;
          break;
        }
      }
    }
    out.push({ type, strings });
    if (type === 127) return out;
  }
  return [];
}

/** Vendor and model of the first processor structure that names both (its 2nd and 3rd strings). */
export function dmiProcessor(host: Host): { vendor: string; model: string } {
  const buf = host.buffer(dmiTablePath);
  for (const s of buf ? parseSmbios(buf) : []) {
    const [, vendor, model] = s.strings;
    if (s.type === 4 && vendor && model) return { vendor, model };
  }
  return { vendor: '', model: '' };
}
