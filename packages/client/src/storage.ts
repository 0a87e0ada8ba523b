// Storage pool and volume calls: create, update, delete pools; list and show volumes.
import type { StoragePool, StoragePoolPut, StoragePoolsPost, StorageVolume } from '@lodge/api';
import type { LodgeClient } from './client.js';
import { filterQuery } from './instances.js';

function seg(s: string): string {
  return encodeURIComponent(s);
}

export class StoragePools {
  constructor(private readonly c: LodgeClient) {}

  list(): Promise<StoragePool[]> {
    return this.c.get<StoragePool[]>('/1.0/storage-pools?recursion=1');
  }

  async get(name: string): Promise<{ pool: StoragePool; etag?: string }> {
    const r = await this.c.query<StoragePool>('GET', `/1.0/storage-pools/${seg(name)}`);
    return { pool: r.metadata, etag: r.etag };
  }

  async create(body: StoragePoolsPost): Promise<void> {
    await this.c.query('POST', '/1.0/storage-pools', { config: {}, description: '', ...body });
  }

  async update(name: string, put: StoragePoolPut, etag?: string): Promise<void> {
    await this.c.query('PUT', `/1.0/storage-pools/${seg(name)}`, put, { etag });
  }

  async delete(name: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/storage-pools/${seg(name)}`);
  }

  /** lxc's GetStoragePoolVolumesWithFilter: recursion=1 and the (possibly empty) filter. */
  volumes(pool: string, filters: string[] = []): Promise<StorageVolume[]> {
    const q = new URLSearchParams({ filter: filterQuery(filters), recursion: '1' });
    return this.c.get<StorageVolume[]>(`/1.0/storage-pools/${seg(pool)}/volumes?${q.toString()}`);
  }

  async volume(pool: string, type: string, name: string): Promise<{ volume: StorageVolume; etag?: string }> {
    const r = await this.c.query<StorageVolume>('GET', `/1.0/storage-pools/${seg(pool)}/volumes/${seg(type)}/${seg(name)}`);
    return { volume: r.metadata, etag: r.etag };
  }
}
