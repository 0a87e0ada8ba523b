// Storage pools service: pool records, the default pool, usage and space.
import type { ResourcesStoragePool, StoragePool } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { PoolRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { apiUrl, seg } from '../util/url.js';
import type { StorageDriver } from './driver.js';

export type PoolUsage = (tx: Tx, pool: string) => Promise<string[]>;

export class PoolService {
  private readonly usage: PoolUsage[] = [];

  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
    private readonly drivers: Record<string, StorageDriver>,
  ) {
    this.usage.push(async (tx, pool) => {
      const urls: string[] = [];
      for (const { scope, value } of await tx.profiles.all()) {
        if (Object.values(value.devices).some((d) => d.type === 'disk' && d.pool === pool)) {
          urls.push(apiUrl(`/1.0/profiles/${seg(value.name)}`, scope));
        }
      }
      return urls;
    });
  }

  addUsage(fn: PoolUsage): void {
    this.usage.push(fn);
  }

  driver(name: string): StorageDriver {
    const d = this.drivers[name];
    if (!d) throw ApiError.badRequest(`Storage driver "${name}" is not supported`);
    return d;
  }

  supportedDrivers(): StorageDriver[] {
    return Object.values(this.drivers);
  }

  /** Creates the "default" dir pool on first start, and makes sure every pool's layout exists. */
  async ensureDefault(): Promise<string> {
    const existing = await this.store.read((tx) => tx.pools.list(globalScope));
    for (const p of existing) await this.driver(p.driver).createPool(p.name, p.config);
    if (existing.length > 0) return existing.find((p) => p.name === 'default')?.name ?? existing[0]!.name;
    const config = await this.driver('dir').createPool('default', {});
    await this.store.tx(async (tx) => {
      await tx.pools.create(globalScope, 'default', { name: 'default', driver: 'dir', description: '', config });
    });
    return 'default';
  }

  async must(tx: Tx, name: string): Promise<PoolRecord> {
    return tx.pools.must(globalScope, name);
  }

  async list(): Promise<StoragePool[]> {
    return this.store.read(async (tx) => Promise.all((await tx.pools.list(globalScope)).map((p) => this.toApi(tx, p))));
  }

  async names(): Promise<string[]> {
    return this.store.read((tx) => tx.pools.names(globalScope));
  }

  async get(name: string): Promise<{ pool: StoragePool; etag: string }> {
    return this.store.read(async (tx) => {
      const rec = await tx.pools.must(globalScope, name);
      return { pool: await this.toApi(tx, rec), etag: etagOf(rec.description, rec.config) };
    });
  }

  async resources(name: string): Promise<ResourcesStoragePool> {
    const rec = await this.store.read((tx) => tx.pools.must(globalScope, name));
    const s = await this.driver(rec.driver).space(rec.config);
    return { space: { used: s.used, total: s.total }, inodes: { used: s.inodesUsed, total: s.inodesTotal } };
  }

  private async toApi(tx: Tx, rec: PoolRecord): Promise<StoragePool> {
    const usedBy = (await Promise.all(this.usage.map((fn) => fn(tx, rec.name)))).flat();
    return { name: rec.name, driver: rec.driver, description: rec.description, config: rec.config, used_by: usedBy, status: 'Created', locations: ['none'] };
  }
}
