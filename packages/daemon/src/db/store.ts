// Store: transactions with typed repositories over a kv engine, plus schema upgrades at open.
import { Collection } from './collection.js';
import type { KvEngine } from './kv.js';
import { migrations, schemaKey, schemaVersion } from './schema.js';
import type { AliasRecord, BackupRecord, CertificateRecord, ImageRecord, InstanceRecord, NetworkRecord, PoolRecord, ProfileRecord, ProjectRecord, ServerConfigRecord, SnapshotRecord } from './records.js';
import { Conflict, Txn } from './txn.js';

/** Scope used for objects that belong to no project. */
export const globalScope = '-';

export class Tx extends Txn {
  readonly projects = new Collection<ProjectRecord>(this, 'projects', 'Project');
  readonly profiles = new Collection<ProfileRecord>(this, 'profiles', 'Profile');
  readonly images = new Collection<ImageRecord>(this, 'images', 'Image');
  readonly aliases = new Collection<AliasRecord>(this, 'aliases', 'Image alias');
  readonly pools = new Collection<PoolRecord>(this, 'pools', 'Storage pool');
  readonly instances = new Collection<InstanceRecord>(this, 'instances', 'Instance');
  readonly networks = new Collection<NetworkRecord>(this, 'networks', 'Network');
  /** Scoped by "<project>_<instance>" (neither name may contain "_"). */
  readonly snapshots = new Collection<SnapshotRecord>(this, 'snapshots', 'Snapshot');
  /** Scoped like snapshots. */
  readonly backups = new Collection<BackupRecord>(this, 'backups', 'Instance backup');
  /** Trusted TLS certificates, scope globalScope, named by fingerprint. */
  readonly certificates = new Collection<CertificateRecord>(this, 'certificates', 'Certificate');

  async serverConfig(): Promise<Record<string, string>> {
    return (await this.get<ServerConfigRecord>('config/server'))?.config ?? {};
  }

  setServerConfig(config: Record<string, string>): void {
    this.put('config/server', { config });
  }

  /** A random id of this daemon's state directory (keeps LXC cgroup names apart between daemons). */
  async daemonId(): Promise<string | undefined> {
    return this.get<string>('meta/daemon-id');
  }
}

export class Store {
  constructor(private readonly kv: KvEngine) {}

  /** Runs fn in a transaction and commits; retries from scratch on a conflicting concurrent commit. */
  async tx<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const tx = new Tx(this.kv);
      const result = await fn(tx);
      try {
        await tx.commit();
        return result;
      } catch (e) {
        if (!(e instanceof Conflict) || attempt >= 20) throw e;
      }
    }
  }

  /** Read-only access; nothing is committed. */
  read<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
    return fn(new Tx(this.kv));
  }

  /** Brings the stored schema to this daemon's version; refuses a newer one. */
  async upgrade(): Promise<{ from: number; to: number }> {
    const from = Number((await this.kv.get(schemaKey))?.value ?? '0');
    if (from > schemaVersion) {
      throw new Error(`The database schema (version ${from}) is newer than this daemon supports (version ${schemaVersion})`);
    }
    for (const m of migrations.filter((x) => x.version > from).sort((a, b) => a.version - b.version)) {
      await this.tx(async (tx) => {
        await m.up(tx);
        tx.put(schemaKey, m.version);
      });
    }
    return { from, to: schemaVersion };
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}
