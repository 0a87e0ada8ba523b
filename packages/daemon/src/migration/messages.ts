// LXD's migration messages (lxd/migration/migrate.proto): MigrationHeader, MigrationControl, MigrationSync.
import { ProtoWriter, getBool, getInt, getMessages, getString, getStrings, readProto, type ProtoValue } from './protobuf.js';

export const FsType = { RSYNC: 0, BTRFS: 1, ZFS: 2, RBD: 3, BLOCK_AND_RSYNC: 4 } as const;
export const CriuType = { CRIU_RSYNC: 0, PHAUL: 1, NONE: 2 } as const;

export interface IdMap {
  isuid: boolean;
  isgid: boolean;
  hostid: number;
  nsid: number;
  maprange: number;
}

export interface MigSnapshot {
  name: string;
  localConfig: Record<string, string>;
  profiles: string[];
  ephemeral: boolean;
  localDevices: Record<string, Record<string, string>>;
  architecture: number;
  stateful: boolean;
  creationDate?: number;
  lastUsedDate?: number;
  expiryDate?: number;
}

export interface RsyncFeatures {
  xattrs?: boolean;
  delete?: boolean;
  compress?: boolean;
  bidirectional?: boolean;
}

export interface MigrationHeader {
  fs: number;
  criu?: number;
  idmap: IdMap[];
  snapshotNames: string[];
  snapshots: MigSnapshot[];
  predump?: boolean;
  rsyncFeatures?: RsyncFeatures;
  refresh?: boolean;
  volumeSize?: number;
  indexHeaderVersion?: number;
}

/** LXD's architecture ids (shared/osarch): the header carries numbers, not names. */
export const archIds: Record<string, number> = { i686: 1, x86_64: 2, armv7l: 3, aarch64: 4, ppc: 5, ppc64: 6, ppc64le: 7, s390x: 8, mips: 9, mips64: 10, riscv32: 11, riscv64: 12 };

export function archName(id: number): string {
  return Object.entries(archIds).find(([, v]) => v === id)?.[0] ?? 'x86_64';
}

function configList(w: ProtoWriter, field: number, config: Record<string, string>): void {
  for (const [key, value] of Object.entries(config)) w.message(field, new ProtoWriter().string(1, key).string(2, value));
}

function encodeSnapshot(s: MigSnapshot): ProtoWriter {
  const w = new ProtoWriter().string(1, s.name);
  configList(w, 2, s.localConfig);
  for (const p of s.profiles) w.string(3, p);
  w.bool(4, s.ephemeral);
  for (const [name, dev] of Object.entries(s.localDevices)) {
    const d = new ProtoWriter().string(1, name);
    configList(d, 2, dev);
    w.message(5, d);
  }
  w.int(6, s.architecture).bool(7, s.stateful);
  if (s.creationDate !== undefined) w.int(8, s.creationDate);
  if (s.lastUsedDate !== undefined) w.int(9, s.lastUsedDate);
  if (s.expiryDate !== undefined) w.int(10, s.expiryDate);
  return w;
}

export function encodeHeader(h: MigrationHeader): Buffer {
  const w = new ProtoWriter().int(1, h.fs);
  if (h.criu !== undefined) w.int(2, h.criu);
  for (const m of h.idmap) w.message(3, new ProtoWriter().bool(1, m.isuid).bool(2, m.isgid).int(3, m.hostid).int(4, m.nsid).int(5, m.maprange));
  for (const n of h.snapshotNames) w.string(4, n);
  for (const s of h.snapshots) w.message(5, encodeSnapshot(s));
  if (h.predump !== undefined) w.bool(7, h.predump);
  if (h.rsyncFeatures) {
    const r = h.rsyncFeatures;
    const f = new ProtoWriter();
    if (r.xattrs !== undefined) f.bool(1, r.xattrs);
    if (r.delete !== undefined) f.bool(2, r.delete);
    if (r.compress !== undefined) f.bool(3, r.compress);
    if (r.bidirectional !== undefined) f.bool(4, r.bidirectional);
    w.message(8, f);
  }
  if (h.refresh !== undefined) w.bool(9, h.refresh);
  if (h.volumeSize !== undefined) w.int(11, h.volumeSize);
  if (h.indexHeaderVersion !== undefined) w.int(13, h.indexHeaderVersion);
  return w.finish();
}

function configMap(list: Map<number, ProtoValue[]>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of list) out[getString(c, 1) ?? ''] = getString(c, 2) ?? '';
  return out;
}

function decodeSnapshot(f: Map<number, ProtoValue[]>): MigSnapshot {
  const devices: Record<string, Record<string, string>> = {};
  for (const d of getMessages(f, 5)) devices[getString(d, 1) ?? ''] = configMap(getMessages(d, 2));
  return {
    name: getString(f, 1) ?? '',
    localConfig: configMap(getMessages(f, 2)),
    profiles: getStrings(f, 3),
    ephemeral: getBool(f, 4) ?? false,
    localDevices: devices,
    architecture: getInt(f, 6) ?? 0,
    stateful: getBool(f, 7) ?? false,
    creationDate: getInt(f, 8),
    lastUsedDate: getInt(f, 9),
    expiryDate: getInt(f, 10),
  };
}

export function decodeHeader(buf: Buffer): MigrationHeader {
  const f = readProto(buf);
  const rs = getMessages(f, 8)[0];
  return {
    fs: getInt(f, 1) ?? 0,
    criu: getInt(f, 2),
    idmap: getMessages(f, 3).map((m) => ({ isuid: getBool(m, 1) ?? false, isgid: getBool(m, 2) ?? false, hostid: getInt(m, 3) ?? 0, nsid: getInt(m, 4) ?? 0, maprange: getInt(m, 5) ?? 0 })),
    snapshotNames: getStrings(f, 4),
    snapshots: getMessages(f, 5).map(decodeSnapshot),
    predump: getBool(f, 7),
    rsyncFeatures: rs ? { xattrs: getBool(rs, 1), delete: getBool(rs, 2), compress: getBool(rs, 3), bidirectional: getBool(rs, 4) } : undefined,
    refresh: getBool(f, 9),
    volumeSize: getInt(f, 11),
    indexHeaderVersion: getInt(f, 13),
  };
}

export function encodeControl(success: boolean, message?: string): Buffer {
  const w = new ProtoWriter().bool(1, success);
  if (message !== undefined) w.string(2, message);
  return w.finish();
}

export function decodeControl(buf: Buffer): { success: boolean; message: string } {
  const f = readProto(buf);
  return { success: getBool(f, 1) ?? false, message: getString(f, 2) ?? '' };
}
