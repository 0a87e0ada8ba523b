// Storage pool administration: create, update and delete pools (the dir driver today).
import type { StoragePoolPut, StoragePoolsPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { validateConfig, withoutEmpty } from '../config/keys.js';
import { validateObjectName } from '../config/names.js';
import { poolSchemas } from '../config/pool.js';
import { globalScope, type Store } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { seg } from '../util/url.js';
import type { PoolService } from './pools.js';

export class PoolAdmin {
  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
    private readonly pools: PoolService,
  ) {}

  async create(req: StoragePoolsPost, lc: LifecycleOptions): Promise<void> {
    const name = validateObjectName('Storage pool', req.name);
    const schema = poolSchemas[req.driver];
    if (!schema) throw ApiError.badRequest(`Storage driver "${req.driver}" is not supported (available: ${Object.keys(poolSchemas).join(', ')})`);
    const config = withoutEmpty(req.config);
    validateConfig(schema, config);
    if (await this.store.read((tx) => tx.pools.exists(globalScope, name))) throw ApiError.conflict(`Storage pool "${name}" already exists`);
    const final = await this.pools.driver(req.driver).createPool(name, config);
    try {
      await this.store.tx((tx) => tx.pools.create(globalScope, name, { name, driver: req.driver, description: req.description ?? '', config: final }));
    } catch (e) {
      await this.pools.driver(req.driver).deletePool(name, final);
      throw e;
    }
    this.events.lifecycle('default', 'storage-pool-created', `/1.0/storage-pools/${seg(name)}`, lc);
  }

  async update(name: string, put: Partial<StoragePoolPut>, opts: { patch: boolean; etag?: (c: string) => void; lc: LifecycleOptions }): Promise<void> {
    await this.store.tx(async (tx) => {
      const rec = await tx.pools.must(globalScope, name);
      opts.etag?.(etagOf(rec.description, rec.config));
      const config = opts.patch ? withoutEmpty({ ...rec.config, ...(put.config ?? {}) }) : withoutEmpty({ ...(put.config ?? {}), source: rec.config.source ?? '' });
      if ((config.source ?? '') !== (rec.config.source ?? '')) throw ApiError.badRequest('The "source" of an existing pool cannot be changed');
      validateConfig(poolSchemas[rec.driver]!, config);
      tx.pools.put(globalScope, name, { ...rec, description: put.description ?? (opts.patch ? rec.description : ''), config });
    });
    this.events.lifecycle('default', 'storage-pool-updated', `/1.0/storage-pools/${seg(name)}`, opts.lc);
  }

  async delete(name: string, lc: LifecycleOptions): Promise<void> {
    const { pool } = await this.pools.get(name);
    if (pool.used_by.length > 0) throw ApiError.badRequest('The storage pool is currently in use');
    await this.store.tx((tx) => tx.pools.delete(globalScope, name));
    await this.pools.driver(pool.driver).deletePool(name, pool.config);
    this.events.lifecycle('default', 'storage-pool-deleted', `/1.0/storage-pools/${seg(name)}`, lc);
  }
}
