// Idmap choice per instance: the shared map from root's subids, or an isolated block of its own.
import { ApiError } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import type { Tx } from '../db/store.js';
import type { IdmapEntry, SubRange } from '../sys/idmap.js';
import { simpleIdmap } from '../sys/idmap.js';

const defaultIsolatedSize = 65536;

function shared(sub: { uid: SubRange; gid: SubRange }): IdmapEntry[] {
  const size = Math.min(sub.uid.count, sub.gid.count);
  return [
    { Isuid: true, Isgid: false, Hostid: sub.uid.start, Nsid: 0, Maprange: size },
    { Isuid: false, Isgid: true, Hostid: sub.gid.start, Nsid: 0, Maprange: size },
  ];
}

/** Isolated blocks in use by other instances (volatile.idmap.base with the size they asked for). */
async function usedBlocks(tx: Tx, skip: { project: string; name: string }): Promise<[number, number][]> {
  const used: [number, number][] = [];
  for (const { scope, name, value } of await tx.instances.all()) {
    if (scope === skip.project && name === skip.name) continue;
    if (!isTrue(value.config['security.idmap.isolated'])) continue;
    const base = Number(value.config['volatile.idmap.base'] ?? NaN);
    const size = Number(value.config['security.idmap.size'] || defaultIsolatedSize);
    if (Number.isFinite(base)) used.push([base, base + size]);
  }
  return used;
}

/**
 * The map an instance gets, and its host base. An isolated instance keeps its block across restarts
 * unless it no longer fits; its block sits after the first 65536 ids, clear of every other isolated one.
 */
export async function chooseIdmap(
  tx: Tx,
  sub: { uid: SubRange; gid: SubRange } | undefined,
  who: { project: string; name: string },
  config: Record<string, string>,
): Promise<{ map: IdmapEntry[]; base: number }> {
  if (isTrue(config['security.privileged'])) return { map: [], base: 0 };
  if (!sub) throw ApiError.badRequest('Lodge has no uid/gid allocation (no root entry in /etc/subuid and /etc/subgid); only privileged containers can run');
  if (!isTrue(config['security.idmap.isolated'])) return { map: shared(sub), base: sub.uid.start };
  const size = Number(config['security.idmap.size'] || defaultIsolatedSize);
  const limit = Math.min(sub.uid.start + sub.uid.count, sub.gid.start + sub.gid.count);
  const used = await usedBlocks(tx, who);
  const fits = (b: number): boolean => b + size <= limit && used.every(([s, e]) => b + size <= s || b >= e);
  const wanted = config['security.idmap.base'] ? Number(config['security.idmap.base']) : Number(config['volatile.idmap.base'] ?? NaN);
  if (Number.isFinite(wanted) && wanted >= sub.uid.start && fits(wanted)) return { map: simpleIdmap(wanted, size), base: wanted };
  if (config['security.idmap.base']) throw ApiError.badRequest(`security.idmap.base ${config['security.idmap.base']} is in use or outside root's subordinate ids`);
  for (let b = sub.uid.start + defaultIsolatedSize; b + size <= limit; b += defaultIsolatedSize) {
    if (fits(b)) return { map: simpleIdmap(b, size), base: b };
  }
  throw ApiError.badRequest('Not enough uid/gid available for an isolated idmap');
}
