// StorageDriver: what a pool backend does; the pool service decides when, records and announces.
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

export interface StorageDriver {
  info(): DriverInfo;
  /** Validated config in, final config out (e.g. the resolved source path). */
  createPool(name: string, config: Record<string, string>): Promise<Record<string, string>>;
  deletePool(name: string, config: Record<string, string>): Promise<void>;
  space(config: Record<string, string>): Promise<PoolSpace>;
}
