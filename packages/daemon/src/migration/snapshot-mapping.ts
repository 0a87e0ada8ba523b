// Snapshot records ↔ the header's Snapshot messages (dates as unix seconds; Go's zero time for "none").
import type { SnapshotRecord } from '../db/records.js';
import { archIds, archName, type MigSnapshot } from './messages.js';
import { formatTime, zeroTime } from '@lodge/api';

const goZero = -62135596800;

function seconds(t: string): number {
  const ms = Date.parse(t);
  return !Number.isFinite(ms) || ms <= 0 ? goZero : Math.floor(ms / 1000);
}

function time(s: number | undefined): string {
  return s === undefined || s <= 0 ? zeroTime : formatTime(new Date(s * 1000));
}

export function toMigSnapshot(s: SnapshotRecord): MigSnapshot {
  return {
    name: s.name,
    localConfig: s.config,
    profiles: s.profiles,
    ephemeral: s.ephemeral,
    localDevices: s.devices,
    architecture: archIds[s.architecture] ?? 2,
    stateful: false,
    creationDate: seconds(s.created_at),
    lastUsedDate: seconds(s.last_used_at),
    expiryDate: seconds(s.expires_at),
  };
}

export function fromMigSnapshot(s: MigSnapshot): SnapshotRecord {
  return {
    name: s.name,
    architecture: archName(s.architecture),
    description: '',
    config: s.localConfig,
    devices: s.localDevices,
    profiles: s.profiles,
    ephemeral: s.ephemeral,
    stateful: false,
    created_at: time(s.creationDate),
    expires_at: time(s.expiryDate),
    last_used_at: time(s.lastUsedDate),
    size: 0,
  };
}
