// Stored record shapes: what the daemon keeps, from which the wire objects are built.
import type { CertificateType, Devices, ImageSource } from '@lodge/api';

export interface ProjectRecord {
  name: string;
  description: string;
  config: Record<string, string>;
}

export interface ProfileRecord {
  name: string;
  description: string;
  config: Record<string, string>;
  devices: Devices;
}

export interface ImageRecord {
  fingerprint: string;
  filename: string;
  size: number;
  architecture: string;
  type: 'container' | 'virtual-machine';
  public: boolean;
  auto_update: boolean;
  cached: boolean;
  properties: Record<string, string>;
  profiles: string[];
  created_at: string;
  expires_at: string;
  last_used_at: string;
  uploaded_at: string;
  update_source?: ImageSource;
  /** True when the rootfs is a separate file (split image). */
  split: boolean;
}

export interface AliasRecord {
  name: string;
  description: string;
  target: string;
  type: string;
}

export interface PoolRecord {
  name: string;
  driver: string;
  description: string;
  config: Record<string, string>;
}

export interface NetworkRecord {
  name: string;
  type: string;
  description: string;
  config: Record<string, string>;
}

export interface ServerConfigRecord {
  config: Record<string, string>;
}

export interface InstanceRecord {
  name: string;
  type: 'container' | 'virtual-machine';
  architecture: string;
  description: string;
  config: Record<string, string>;
  devices: Devices;
  profiles: string[];
  ephemeral: boolean;
  stateful: boolean;
  created_at: string;
  last_used_at: string;
  /** Pool of the root volume, fixed at creation. */
  pool: string;
  /** Set until creation finishes; a record still marked at daemon start is a crash leftover. */
  creating?: boolean;
}

/** An instance backup: a tarball under DIR/backups/instances/<project>_<instance>/<name>. */
export interface BackupRecord {
  name: string;
  created_at: string;
  expires_at: string;
  instance_only: boolean;
  optimized_storage: boolean;
  compression: string;
}

/** The part of an instance a snapshot keeps. */
type SnapshotOf = Pick<InstanceRecord, 'name' | 'architecture' | 'description' | 'config' | 'devices' | 'profiles' | 'ephemeral' | 'stateful' | 'created_at' | 'last_used_at'>;

/** A snapshot: the instance's config as it was, and when it goes away. */
export interface SnapshotRecord extends SnapshotOf {
  expires_at: string;
  /** Bytes used by the snapshot volume when it was taken (it never changes). */
  size: number;
}

/** A trusted TLS certificate, keyed by its fingerprint (scope "-"). */
export interface CertificateRecord {
  fingerprint: string;
  name: string;
  type: CertificateType;
  restricted: boolean;
  projects: string[];
  /** PEM. */
  certificate: string;
}
