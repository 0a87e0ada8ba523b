// Image aliases: names pointing at fingerprints, per project.
import type { ImageAliasesEntry, ImageAliasesEntryPut } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { AliasRecord } from '../db/records.js';
import type { Tx } from '../db/store.js';
import type { LifecycleOptions } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { seg } from '../util/url.js';
import type { ImageService } from './service.js';

function validateAliasName(name: string | undefined): string {
  if (!name) throw ApiError.badRequest('name and target are required');
  if (/[\x00-\x1f\x7f]/.test(name) || name.startsWith('/') || name === '.' || name === '..') {
    throw ApiError.badRequest(`Invalid alias name "${name}"`);
  }
  if (/^[0-9a-f]{64}$/.test(name)) throw ApiError.badRequest('Alias names may not be full image fingerprints');
  return name;
}

export class AliasService {
  constructor(private readonly images: ImageService) {}

  private get store() {
    return this.images.store;
  }

  async list(project: string): Promise<ImageAliasesEntry[]> {
    return this.store.read(async (tx) => (await tx.aliases.list(await this.images.scope(tx, project))).map(toApi));
  }

  async get(project: string, name: string): Promise<{ alias: ImageAliasesEntry; etag: string }> {
    return this.store.read(async (tx) => {
      const rec = await tx.aliases.get(await this.images.scope(tx, project), name);
      if (!rec) throw ApiError.notFound('Image alias not found');
      return { alias: toApi(rec), etag: etagOf(rec.name, rec.description, rec.target) };
    });
  }

  /** Creates an alias inside an existing transaction (imports with aliases). */
  async createIn(tx: Tx, project: string, req: ImageAliasesEntry): Promise<AliasRecord> {
    const name = validateAliasName(req.name);
    if (!req.target) throw ApiError.badRequest('name and target are required');
    const scope = await this.images.scope(tx, project);
    const image = await this.images.resolve(tx, project, req.target);
    if (await tx.aliases.exists(scope, name)) throw ApiError.conflict(`Alias "${name}" already exists`);
    const rec: AliasRecord = { name, description: req.description ?? '', target: image.fingerprint, type: image.type };
    tx.aliases.put(scope, name, rec);
    return rec;
  }

  async create(project: string, req: ImageAliasesEntry, lc: LifecycleOptions): Promise<string> {
    return this.store.tx(async (tx) => {
      const rec = await this.createIn(tx, project, req);
      tx.onCommit(() => this.images.events.lifecycle(project, 'image-alias-created', `/1.0/images/aliases/${seg(rec.name)}`, { ...lc, context: { target: rec.target } }));
      return rec.name;
    });
  }

  /** Aliases for a newly copied image, all or none. */
  async createAll(project: string, target: string, aliases: { name: string; description?: string }[], lc: LifecycleOptions): Promise<void> {
    if (aliases.length === 0) return;
    await this.store.tx(async (tx) => {
      for (const a of aliases) {
        const rec = await this.createIn(tx, project, { name: a.name, description: a.description ?? '', target, type: '' });
        tx.onCommit(() => this.images.events.lifecycle(project, 'image-alias-created', `/1.0/images/aliases/${seg(rec.name)}`, { ...lc, context: { target: rec.target } }));
      }
    });
  }

  async update(project: string, name: string, put: Partial<ImageAliasesEntryPut>, opts: { etag?: (c: string) => void; patch: boolean; lc: LifecycleOptions }): Promise<void> {
    await this.store.tx(async (tx) => {
      const scope = await this.images.scope(tx, project);
      const rec = await tx.aliases.get(scope, name);
      if (!rec) throw ApiError.notFound('Image alias not found');
      opts.etag?.(etagOf(rec.name, rec.description, rec.target));
      if (!opts.patch && !put.target) throw ApiError.badRequest('The target field is required');
      const target = put.target ? await this.images.resolve(tx, project, put.target) : undefined;
      const next: AliasRecord = {
        ...rec,
        description: put.description ?? (opts.patch ? rec.description : ''),
        target: target?.fingerprint ?? rec.target,
        type: target?.type ?? rec.type,
      };
      tx.aliases.put(scope, name, next);
      tx.onCommit(() => this.images.events.lifecycle(project, 'image-alias-updated', `/1.0/images/aliases/${seg(name)}`, { ...opts.lc, context: { target: next.target } }));
    });
  }

  async rename(project: string, name: string, to: string, lc: LifecycleOptions): Promise<void> {
    const newName = validateAliasName(to);
    await this.store.tx(async (tx) => {
      const scope = await this.images.scope(tx, project);
      const rec = await tx.aliases.get(scope, name);
      if (!rec) throw ApiError.notFound('Image alias not found');
      if (await tx.aliases.exists(scope, newName)) throw ApiError.conflict(`Alias "${newName}" already exists`);
      await tx.aliases.rename(scope, name, newName, { ...rec, name: newName });
      tx.onCommit(() => this.images.events.lifecycle(project, 'image-alias-renamed', `/1.0/images/aliases/${seg(newName)}`, { ...lc, context: { old_name: name } }));
    });
  }

  async delete(project: string, name: string, lc: LifecycleOptions): Promise<void> {
    await this.store.tx(async (tx) => {
      const scope = await this.images.scope(tx, project);
      if (!(await tx.aliases.exists(scope, name))) throw ApiError.notFound('Image alias not found');
      await tx.aliases.delete(scope, name);
      tx.onCommit(() => this.images.events.lifecycle(project, 'image-alias-deleted', `/1.0/images/aliases/${seg(name)}`, lc));
    });
  }
}

function toApi(rec: AliasRecord): ImageAliasesEntry {
  return { name: rec.name, description: rec.description, target: rec.target, type: rec.type };
}
