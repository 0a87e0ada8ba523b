// StorageDriver: what a pool backend does; the pool service decides when, records and announces.
import type { IdmapEntry } from '../sys/idmap.js';

export interface DriverInfo {
  name: string;
  version: string;
  remote: boolean;
  /** Copies share blocks with their source (reflink/snapshots) instead of copying bytes. */
  cheapCopies: boolean;
}

export interface PoolSpace {
  used: number;
  total: number;
  inodesUsed: number;
  inodesTotal: number;
}

export type VolumeKind = 'containers' | 'containers-snapshots' | 'images' | 'custom' | 'custom-snapshots';

/** A volume of a pool: its kind and name (instance volumes are named "<project>_<name>"). */
export interface Volume {
  pool: string;
  poolConfig: Record<string, string>;
  kind: VolumeKind;
  name: string;
}

/** Image files to unpack: a unified tarball, or a metadata tarball plus a rootfs (tarball or squashfs). */
export interface ImageFiles {
  meta: string;
  rootfs?: string;
  rootfsIsSquashfs?: boolean;
}

/** A volume directory to read from (archive, send), unshifted, and how to let it go. */
export interface ReadView {
  path: string;
  close(): Promise<void>;
}

export interface StorageDriver {
  info(): DriverInfo;
  /** Validated config in, final config out (e.g. the resolved source path). */
  createPool(name: string, config: Record<string, string>): Promise<Record<string, string>>;
  deletePool(name: string, config: Record<string, string>): Promise<void>;
  space(config: Record<string, string>): Promise<PoolSpace>;
  /** Directory that holds the volume (rootfs/ inside for instances and images). */
  mountPath(vol: Volume): string;
  volumeExists(vol: Volume): Promise<boolean>;
  /** Unpacks an image into an image volume; the volume appears only when complete. */
  createImageVolume(vol: Volume, files: ImageFiles): Promise<void>;
  /** A new volume as a copy of another (cheapest copy the filesystem offers). */
  copyVolume(src: Volume, dst: Volume): Promise<void>;
  createEmptyVolume(vol: Volume): Promise<void>;
  deleteVolume(vol: Volume): Promise<void>;
  /** Takes the volume out of its place at once and frees its space in the background. */
  discardVolume(vol: Volume): Promise<void>;
  /** Frees what discards left behind when the daemon stopped before they finished. */
  sweepDiscarded(config: Record<string, string>, name: string): Promise<void>;
  renameVolume(vol: Volume, newName: string): Promise<void>;
  /** Bytes used by the volume, or undefined when the driver cannot tell cheaply. */
  usage(vol: Volume): Promise<number | undefined>;
  /**
   * Makes an instance volume ready for its container to start with this id map (empty: privileged).
   * True when its rootfs is then already idmapped for the container (LXC must not idmap it again).
   */
  prepareStart(vol: Volume, maps: readonly IdmapEntry[]): Promise<boolean>;
  /** Gives the daemon its own view of an instance volume: after its container stopped, before templates run. */
  useDaemonView(vol: Volume): Promise<void>;
  /** The volume's directory as the daemon reads it, also while its container runs. */
  openReadView(vol: Volume): Promise<ReadView>;
  /** Brings back what the pool needs mounted (after a host reboot), leaving running containers alone. */
  restoreMounts(config: Record<string, string>, name: string): Promise<void>;
}
