// Server calls: GET /1.0, server config, storage pools and operations.
import type { Operation, Server, ServerPut, StoragePool, ResourcesStoragePool } from '@lodge/api';
import type { LodgeClient } from './client.js';

export class ServerApi {
  constructor(private readonly c: LodgeClient) {}

  async get(): Promise<{ server: Server; etag?: string }> {
    const r = await this.c.query<Server>('GET', '/1.0');
    return { server: r.metadata, etag: r.etag };
  }

  async update(put: ServerPut, etag?: string): Promise<void> {
    await this.c.query('PUT', '/1.0', put, { etag });
  }

  pools(): Promise<StoragePool[]> {
    return this.c.get<StoragePool[]>('/1.0/storage-pools?recursion=1');
  }

  async pool(name: string): Promise<StoragePool> {
    return this.c.get<StoragePool>(`/1.0/storage-pools/${encodeURIComponent(name)}`);
  }

  poolResources(name: string): Promise<ResourcesStoragePool> {
    return this.c.get<ResourcesStoragePool>(`/1.0/storage-pools/${encodeURIComponent(name)}/resources`);
  }

  async operations(): Promise<Operation[]> {
    const groups = await this.c.get<Record<string, Operation[]>>('/1.0/operations?recursion=1');
    return Object.values(groups ?? {}).flat();
  }

  operation(id: string): Promise<Operation> {
    return this.c.get<Operation>(`/1.0/operations/${encodeURIComponent(id)}`);
  }

  async cancelOperation(id: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/operations/${encodeURIComponent(id)}`);
  }
}
