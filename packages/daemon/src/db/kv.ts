// The key-value contract every database engine implements (SQLite now, etcd for clusters later).
export interface KvEntry {
  key: string;
  value: string;
  /** Revision of the commit that last wrote the key; never 0 for a stored key. */
  revision: number;
}

/** A guard on a commit: the key must still be at this revision (0 = must not exist). */
export interface KvCompare {
  key: string;
  revision: number;
}

/** A write in a commit: a value to store, or null to delete the key. */
export interface KvWrite {
  key: string;
  value: string | null;
}

export interface KvEngine {
  get(key: string): Promise<KvEntry | undefined>;
  /** Entries whose key starts with the prefix, in key order. */
  list(prefix: string): Promise<KvEntry[]>;
  /** Applies all writes atomically if every compare holds; resolves false (nothing written) otherwise. */
  commit(compares: KvCompare[], writes: KvWrite[]): Promise<boolean>;
  close(): Promise<void>;
}
