// Id maps for unprivileged containers: root's subordinate ranges, LXD's JSON form, LXC config lines.
import { readFile } from 'node:fs/promises';

/** LXD's IdmapEntry, as stored in volatile.idmap.* keys. */
export interface IdmapEntry {
  Isuid: boolean;
  Isgid: boolean;
  Hostid: number;
  Nsid: number;
  Maprange: number;
}

export interface SubRange {
  start: number;
  count: number;
}

/** root's first range in /etc/subuid and /etc/subgid (the ranges lxc may map). */
export async function rootSubRanges(): Promise<{ uid: SubRange; gid: SubRange } | undefined> {
  const uid = parseSub(await readFile('/etc/subuid', 'utf8').catch(() => ''));
  const gid = parseSub(await readFile('/etc/subgid', 'utf8').catch(() => ''));
  return uid && gid ? { uid, gid } : undefined;
}

export function parseSub(text: string, user = 'root'): SubRange | undefined {
  for (const line of text.split('\n')) {
    const [name, start, count] = line.trim().split(':');
    if ((name === user || name === '0') && start && count) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

/** One map for uids and gids with the same host base and size. */
export function simpleIdmap(hostBase: number, size: number): IdmapEntry[] {
  return [
    { Isuid: true, Isgid: false, Hostid: hostBase, Nsid: 0, Maprange: size },
    { Isuid: false, Isgid: true, Hostid: hostBase, Nsid: 0, Maprange: size },
  ];
}

/** LXC config values for lxc.idmap ("u 0 100000 65536"). */
export function lxcIdmapLines(map: IdmapEntry[]): string[] {
  const lines: string[] = [];
  for (const e of map) {
    if (e.Isuid) lines.push(`u ${e.Nsid} ${e.Hostid} ${e.Maprange}`);
    if (e.Isgid) lines.push(`g ${e.Nsid} ${e.Hostid} ${e.Maprange}`);
  }
  return lines;
}

/** Parses raw.idmap: "both 1000 1000", "uid 1000-1002 2000-2002", "gid 50 60" lines. */
export function parseRawIdmap(raw: string): IdmapEntry[] {
  const out: IdmapEntry[] = [];
  for (const line of raw.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    const m = /^(both|uid|gid)\s+(\d+)(?:-(\d+))?\s+(\d+)(?:-(\d+))?$/.exec(line);
    if (!m) throw new Error(`Invalid raw.idmap line "${line}"`);
    const hostStart = Number(m[2]);
    const hostEnd = m[3] ? Number(m[3]) : hostStart;
    const nsStart = Number(m[4]);
    const nsEnd = m[5] ? Number(m[5]) : nsStart;
    if (hostEnd - hostStart !== nsEnd - nsStart || hostEnd < hostStart) throw new Error(`Invalid raw.idmap range in "${line}"`);
    out.push({ Isuid: m[1] !== 'gid', Isgid: m[1] !== 'uid', Hostid: hostStart, Nsid: nsStart, Maprange: hostEnd - hostStart + 1 });
  }
  return out;
}
