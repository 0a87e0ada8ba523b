// Storage pools service: pool records, the default pool, usage and space.
import type { ResourcesStoragePool, StoragePool } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { PoolRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { apiUrl, seg } from '../util/url.js';
import type { IdmapEntry } from '../sys/idmap.js';
import type { ImageFiles, StorageDriver, Volume, VolumeKind } from './driver.js';
import { KeyedLock } from '../util/lock.js';

export type PoolUsage = (tx: Tx, pool: string) => Promise<string[]>;

export class PoolService {
  private readonly usage: PoolUsage[] = [];
  private readonly unpackLocks = new KeyedLock();

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

  async volume(pool: string, kind: VolumeKind, name: string): Promise<{ vol: Volume; driver: StorageDriver }> {
    const rec = await this.store.read((tx) => tx.pools.must(globalScope, pool));
    return { vol: { pool, poolConfig: rec.config, kind, name }, driver: this.driver(rec.driver) };
  }

  async mountPath(pool: string, kind: VolumeKind, name: string): Promise<string> {
    const { vol, driver } = await this.volume(pool, kind, name);
    return driver.mountPath(vol);
  }

  /** Unpacks an image into the pool once; later instances clone it. */
  async ensureImageVolume(pool: string, fingerprint: string, files: () => Promise<ImageFiles>): Promise<Volume> {
    const { vol, driver } = await this.volume(pool, 'images', fingerprint);
    await this.unpackLocks.run(`${pool}/${fingerprint}`, async () => {
      if (!(await driver.volumeExists(vol))) await driver.createImageVolume(vol, await files());
    });
    return vol;
  }

  /** Creates an instance volume from an image volume, or empty. */
  async createInstanceVolume(pool: string, name: string, from?: Volume): Promise<void> {
    const { vol, driver } = await this.volume(pool, 'containers', name);
    if (await driver.volumeExists(vol)) throw ApiError.conflict(`Volume "${name}" already exists in pool "${pool}"`);
    if (from) await driver.copyVolume(from, vol);
    else await driver.createEmptyVolume(vol);
  }

  async copyVolume(pool: string, kind: VolumeKind, from: string, to: string, toKind: VolumeKind = kind): Promise<void> {
    const src = await this.volume(pool, kind, from);
    const dst = await this.volume(pool, toKind, to);
    await src.driver.copyVolume(src.vol, dst.vol);
  }

  async deleteVolume(pool: string, kind: VolumeKind, name: string): Promise<void> {
    const { vol, driver } = await this.volume(pool, kind, name);
    await driver.deleteVolume(vol);
  }

  async discardVolume(pool: string, kind: VolumeKind, name: string): Promise<void> {
    const { vol, driver } = await this.volume(pool, kind, name);
    await driver.discardVolume(vol);
  }

  /** Start-up: frees volumes whose background removal a stop or crash interrupted. */
  async sweepDiscarded(): Promise<void> {
    for (const p of await this.store.read((tx) => tx.pools.list(globalScope))) await this.driver(p.driver).sweepDiscarded(p.config, p.name);
  }

  /** See StorageDriver.prepareStart: true when the instance's rootfs comes already idmapped. */
  async prepareStart(pool: string, name: string, maps: readonly IdmapEntry[]): Promise<boolean> {
    const { vol, driver } = await this.volume(pool, 'containers', name);
    return driver.prepareStart(vol, maps);
  }

  async useDaemonView(pool: string, name: string): Promise<void> {
    const { vol, driver } = await this.volume(pool, 'containers', name);
    await driver.useDaemonView(vol);
  }

  /** Runs fn on the volume directory as the daemon reads it (to archive or send), also while its container runs. */
  async withReadView<T>(pool: string, kind: VolumeKind, name: string, fn: (path: string) => Promise<T>): Promise<T> {
    const { vol, driver } = await this.volume(pool, kind, name);
    const view = await driver.openReadView(vol);
    try {
      return await fn(view.path);
    } finally {
      await view.close();
    }
  }

  /** Start-up: what the pools need mounted comes back after a host reboot. */
  async restoreMounts(): Promise<void> {
    for (const p of await this.store.read((tx) => tx.pools.list(globalScope))) await this.driver(p.driver).restoreMounts(p.config, p.name);
  }

  async renameVolume(pool: string, kind: VolumeKind, from: string, to: string): Promise<void> {
    const { vol, driver } = await this.volume(pool, kind, from);
    await driver.renameVolume(vol, to);
  }

  async volumeUsage(pool: string, kind: VolumeKind, name: string): Promise<number | undefined> {
    const { vol, driver } = await this.volume(pool, kind, name);
    return driver.usage(vol);
  }

  /** Drops an image's unpacked copies from every pool (the image itself is going away). */
  async removeImageVolumes(fingerprint: string): Promise<void> {
    for (const p of await this.store.read((tx) => tx.pools.list(globalScope))) {
      await this.unpackLocks.run(`${p.name}/${fingerprint}`, () =>
        this.driver(p.driver).deleteVolume({ pool: p.name, poolConfig: p.config, kind: 'images', name: fingerprint }),
      );
    }
  }

  private async toApi(tx: Tx, rec: PoolRecord): Promise<StoragePool> {
    const usedBy = (await Promise.all(this.usage.map((fn) => fn(tx, rec.name)))).flat();
    return { name: rec.name, driver: rec.driver, description: rec.description, config: rec.config, used_by: usedBy, status: 'Created', locations: ['none'] };
  }
}
