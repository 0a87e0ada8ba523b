// Profile calls: list, get, create, update, rename, delete.
import type { Profile, ProfilePut, ProfilesPost } from '@lodge/api';
import type { LodgeClient } from './client.js';

export class Profiles {
  constructor(private readonly c: LodgeClient) {}

  list(): Promise<Profile[]> {
    return this.c.get<Profile[]>('/1.0/profiles?recursion=1');
  }

  async get(name: string): Promise<{ profile: Profile; etag?: string }> {
    const r = await this.c.query<Profile>('GET', `/1.0/profiles/${encodeURIComponent(name)}`);
    return { profile: r.metadata, etag: r.etag };
  }

  async create(p: ProfilesPost): Promise<void> {
    await this.c.query('POST', '/1.0/profiles', p);
  }

  async update(name: string, put: ProfilePut, etag?: string): Promise<void> {
    await this.c.query('PUT', `/1.0/profiles/${encodeURIComponent(name)}`, put, { etag });
  }

  async rename(name: string, to: string): Promise<void> {
    await this.c.query('POST', `/1.0/profiles/${encodeURIComponent(name)}`, { name: to });
  }

  async delete(name: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/profiles/${encodeURIComponent(name)}`);
  }
}
