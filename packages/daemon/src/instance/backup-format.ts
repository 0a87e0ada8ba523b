// LXD's backup metadata: backup/index.yaml and backup.yaml, written and read in the shape LXD 5.0 uses.
import type { Instance, InstanceSnapshot, Profile, StoragePool } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { parse, stringify } from 'yaml';

export interface BackupVolume {
  config: Record<string, string>;
  description: string;
  name: string;
  type: string;
  used_by: string[];
  location: string;
  content_type: string;
  project: string;
  created_at: string;
}

export interface BackupVolumeSnapshot {
  description: string;
  expires_at: string;
  name: string;
  config: Record<string, string>;
  content_type: string;
  created_at: string;
}

/** backup.yaml (and the "config" of index.yaml). */
export interface BackupConfig {
  container: Instance;
  snapshots: InstanceSnapshot[];
  pool: StoragePool;
  profiles: Profile[];
  volume: BackupVolume;
  volume_snapshots: BackupVolumeSnapshot[];
}

export interface BackupIndex {
  name: string;
  backend: string;
  pool: string;
  snapshots?: string[];
  optimized: boolean;
  optimized_header: boolean;
  type: string;
  config?: BackupConfig;
}

export function renderIndex(index: BackupIndex): string {
  return stringify(index, { indentSeq: false, lineWidth: 0 });
}

export function renderBackupYaml(config: BackupConfig): string {
  return stringify(config, { indentSeq: false, lineWidth: 0 });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw ApiError.badRequest(`Invalid backup: ${what} must be a map`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? '' : String(x)]));
}

function devices(v: unknown, what: string): Record<string, Record<string, string>> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw ApiError.badRequest(`Invalid backup: ${what} must be a map`);
  return Object.fromEntries(Object.entries(v).map(([k, d]) => [k, stringMap(d, `${what}.${k}`)]));
}

function time(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : '';
}

export function parseIndex(text: string): BackupIndex {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw ApiError.badRequest(`Invalid backup index.yaml: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw ApiError.badRequest('Invalid backup index.yaml: not a map');
  const type = String(doc.type ?? 'container');
  if (type !== 'container') throw ApiError.badRequest(`Backups of type "${type}" are not supported (lodge runs containers)`);
  if (doc.optimized === true) throw ApiError.badRequest(`Optimized backups from the "${String(doc.backend ?? '')}" driver are not supported`);
  return {
    name: String(doc.name ?? ''),
    backend: String(doc.backend ?? ''),
    pool: String(doc.pool ?? ''),
    snapshots: Array.isArray(doc.snapshots) ? doc.snapshots.map(String) : [],
    optimized: false,
    optimized_header: false,
    type,
  };
}

/** The parts of backup.yaml an import needs, checked and normalised. */
export interface ImportedConfig {
  name: string;
  architecture: string;
  description: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  profiles: string[];
  ephemeral: boolean;
  created_at: string;
  last_used_at: string;
  snapshots: { name: string; architecture: string; config: Record<string, string>; devices: Record<string, Record<string, string>>; profiles: string[]; ephemeral: boolean; created_at: string; expires_at: string }[];
}

export function parseBackupYaml(text: string): ImportedConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw ApiError.badRequest(`Invalid backup.yaml: ${(e as Error).message}`);
  }
  if (!isObject(doc) || !isObject(doc.container)) throw ApiError.badRequest('Invalid backup.yaml: no container section');
  const c = doc.container;
  const snaps = Array.isArray(doc.snapshots) ? doc.snapshots.filter(isObject) : [];
  return {
    name: String(c.name ?? ''),
    architecture: String(c.architecture ?? ''),
    description: String(c.description ?? ''),
    config: stringMap(c.config, 'container.config'),
    devices: devices(c.devices, 'container.devices'),
    profiles: Array.isArray(c.profiles) ? c.profiles.map(String) : ['default'],
    ephemeral: c.ephemeral === true,
    created_at: time(c.created_at),
    last_used_at: time(c.last_used_at),
    snapshots: snaps.map((s) => ({
      name: String(s.name ?? ''),
      architecture: String(s.architecture ?? c.architecture ?? ''),
      config: stringMap(s.config, 'snapshot.config'),
      devices: devices(s.devices, 'snapshot.devices'),
      profiles: Array.isArray(s.profiles) ? s.profiles.map(String) : [],
      ephemeral: s.ephemeral === true,
      created_at: time(s.created_at),
      expires_at: time(s.expires_at),
    })),
  };
}
