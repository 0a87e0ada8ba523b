// Project calls: list, get, create, update, rename, delete.
import type { Project, ProjectPut, ProjectsPost } from '@lodge/api';
import type { LodgeClient } from './client.js';

export class Projects {
  constructor(private readonly c: LodgeClient) {}

  list(): Promise<Project[]> {
    return this.c.get<Project[]>('/1.0/projects?recursion=1');
  }

  async get(name: string): Promise<{ project: Project; etag?: string }> {
    const r = await this.c.query<Project>('GET', `/1.0/projects/${encodeURIComponent(name)}`);
    return { project: r.metadata, etag: r.etag };
  }

  async create(p: ProjectsPost): Promise<void> {
    await this.c.query('POST', '/1.0/projects', p);
  }

  async update(name: string, put: ProjectPut, etag?: string): Promise<void> {
    await this.c.query('PUT', `/1.0/projects/${encodeURIComponent(name)}`, put, { etag });
  }

  async rename(name: string, to: string): Promise<void> {
    const op = await this.c.operation('POST', `/1.0/projects/${encodeURIComponent(name)}`, { name: to });
    await op.wait();
  }

  async delete(name: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/projects/${encodeURIComponent(name)}`);
  }
}
