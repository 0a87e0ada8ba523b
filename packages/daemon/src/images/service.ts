// Images: records per project, lookup by fingerprint prefix, update, delete; files shared by fingerprint.
import { readdir, rm } from 'node:fs/promises';
import type { Image, ImagePut } from '@lodge/api';
import { ApiError, epochTime, formatTime } from '@lodge/api';
import type { ImageRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import type { ProjectService } from '../projects/service.js';
import type { Paths } from '../sys/paths.js';
import { etagOf } from '../util/etag.js';
import { KeyedLock } from '../util/lock.js';
import { cacheSettings, type ImageCacheSettings } from './cache-policy.js';

/** Called before an image's files go away (pools drop their unpacked copies). */
export type ImageRemoved = (fingerprint: string) => Promise<void>;

export class ImageService {
  /** Serialises work on one fingerprint (import, delete, unpack). */
  readonly locks = new KeyedLock();
  private readonly removed: ImageRemoved[] = [];

  constructor(
    readonly store: Store,
    readonly events: EventHub,
    readonly paths: Paths,
    readonly projects: ProjectService,
  ) {}

  onRemoved(fn: ImageRemoved): void {
    this.removed.push(fn);
  }

  scope(tx: Tx, project: string): Promise<string> {
    return this.projects.effective(tx, project, 'features.images');
  }

  /** Finds an image by full or unique partial fingerprint (400 when ambiguous, 404 when none). */
  async resolve(tx: Tx, project: string, prefix: string): Promise<ImageRecord> {
    const scope = await this.scope(tx, project);
    if (!/^[0-9a-f]*$/i.test(prefix) || prefix === '') throw ApiError.notFound('Image not found');
    const exact = await tx.images.get(scope, prefix.toLowerCase());
    if (exact) return exact;
    const matches = (await tx.images.list(scope)).filter((i) => i.fingerprint.startsWith(prefix.toLowerCase()));
    if (matches.length === 0) throw ApiError.notFound('Image not found');
    if (matches.length > 1) throw ApiError.badRequest(`More than one image matches "${prefix}"`);
    return matches[0]!;
  }

  async list(project: string): Promise<Image[]> {
    return this.store.read(async (tx) => {
      const scope = await this.scope(tx, project);
      const aliases = await tx.aliases.list(scope);
      return (await tx.images.list(scope)).map((r) => toApi(r, aliases.filter((a) => a.target === r.fingerprint)));
    });
  }

  async get(project: string, prefix: string): Promise<{ image: Image; etag: string; record: ImageRecord }> {
    return this.store.read(async (tx) => {
      const rec = await this.resolve(tx, project, prefix);
      const aliases = (await tx.aliases.list(await this.scope(tx, project))).filter((a) => a.target === rec.fingerprint);
      return { image: toApi(rec, aliases), etag: imageEtag(rec), record: rec };
    });
  }

  async update(project: string, prefix: string, put: Partial<ImagePut>, opts: { etag?: (c: string) => void; patch: boolean; lc: LifecycleOptions }): Promise<void> {
    await this.store.tx(async (tx) => {
      const scope = await this.scope(tx, project);
      const rec = await this.resolve(tx, project, prefix);
      opts.etag?.(imageEtag(rec));
      if (put.expires_at && Number.isNaN(Date.parse(put.expires_at))) throw ApiError.badRequest(`Invalid expires_at "${put.expires_at}"`);
      const profiles = put.profiles ?? (opts.patch ? rec.profiles : ['default']);
      const profileScope = await this.projects.effective(tx, project, 'features.profiles');
      for (const p of profiles ?? []) {
        if (!(await tx.profiles.exists(profileScope, p))) throw ApiError.badRequest(`Profile "${p}" doesn't exist`);
      }
      const next: ImageRecord = {
        ...rec,
        auto_update: put.auto_update ?? (opts.patch ? rec.auto_update : false),
        public: put.public ?? (opts.patch ? rec.public : false),
        properties: opts.patch ? { ...rec.properties, ...(put.properties ?? {}) } : (put.properties ?? {}),
        expires_at: put.expires_at ? formatTime(new Date(put.expires_at)) : opts.patch ? rec.expires_at : epochTime,
        profiles: profiles ?? [],
      };
      tx.images.put(scope, rec.fingerprint, next);
      tx.onCommit(() => this.events.lifecycle(project, 'image-updated', `/1.0/images/${rec.fingerprint}`, opts.lc));
    });
  }

  /** Deletes the record (and its aliases); the files go once no project references the fingerprint. */
  async delete(project: string, prefix: string, lc: LifecycleOptions): Promise<void> {
    const fp = await this.store.read(async (tx) => (await this.resolve(tx, project, prefix)).fingerprint);
    await this.locks.run(fp, async () => {
      let orphaned = false;
      await this.store.tx(async (tx) => {
        const scope = await this.scope(tx, project);
        await tx.images.delete(scope, fp);
        for (const a of await tx.aliases.list(scope)) if (a.target === fp) await tx.aliases.delete(scope, a.name);
        orphaned = (await tx.images.all()).every((i) => i.name !== fp);
        tx.onCommit(() => this.events.lifecycle(project, 'image-deleted', `/1.0/images/${fp}`, lc));
      });
      if (orphaned) await this.removeFiles(fp);
    });
  }

  /**
   * At start: image files no record refers to (a crash between deleting the last record and its files) go,
   * with what was derived from them. Returns the fingerprints removed.
   */
  async sweepOrphans(): Promise<string[]> {
    const known = new Set((await this.store.read((tx) => tx.images.all())).map((i) => i.name));
    const onDisk = new Set((await readdir(this.paths.images)).map((f) => /^([0-9a-f]{64})(\.rootfs)?$/.exec(f)?.[1]).filter((fp): fp is string => fp !== undefined));
    const orphans = [...onDisk].filter((fp) => !known.has(fp));
    for (const fp of orphans) await this.locks.run(fp, () => this.removeFiles(fp));
    return orphans;
  }

  async removeFiles(fp: string): Promise<void> {
    for (const fn of this.removed) await fn(fp);
    await rm(this.paths.image(fp), { force: true });
    await rm(this.paths.imageRootfs(fp), { force: true });
  }

  /**
   * After a copy from an image server: the request's visibility, auto_update, filename and extra
   * properties, when any is given (as LXD's imgPostRemoteInfo).
   */
  async applyCopy(project: string, fp: string, opts: { public?: boolean; autoUpdate?: boolean; filename?: string; properties?: Record<string, string> }): Promise<void> {
    await this.store.tx(async (tx) => {
      const scope = await this.scope(tx, project);
      const rec = await tx.images.must(scope, fp);
      const props = opts.properties ?? {};
      if (opts.public || opts.autoUpdate || opts.filename || Object.keys(props).length > 0) {
        tx.images.put(scope, fp, { ...rec, public: opts.public ?? false, auto_update: opts.autoUpdate ?? false, filename: opts.filename || rec.filename, properties: { ...rec.properties, ...props } });
      }
    });
  }

  /** images.auto_update_cached, images.auto_update_interval and images.remote_cache_expiry as they apply to a project. */
  async cacheSettings(project: string): Promise<ImageCacheSettings> {
    return this.store.read(async (tx) => cacheSettings(await tx.serverConfig(), (await tx.projects.get(globalScope, project))?.config));
  }

  /**
   * A refresh found a newer image: it takes over the old one's aliases, cached flag, last use and
   * profiles, and the old record goes (its files too once no project has it).
   */
  async replace(project: string, oldFp: string, newFp: string): Promise<void> {
    await this.locks.run(oldFp, async () => {
      let orphaned = false;
      await this.store.tx(async (tx) => {
        const scope = await this.scope(tx, project);
        const old = await tx.images.must(scope, oldFp);
        const next = await tx.images.must(scope, newFp);
        tx.images.put(scope, newFp, { ...next, cached: old.cached, last_used_at: old.last_used_at, profiles: old.profiles });
        for (const a of await tx.aliases.list(scope)) if (a.target === oldFp) tx.aliases.put(scope, a.name, { ...a, target: newFp, type: next.type });
        await tx.images.delete(scope, oldFp);
        orphaned = (await tx.images.all()).every((i) => i.name !== oldFp);
      });
      if (orphaned) await this.removeFiles(oldFp);
    });
  }

  /** Marks an image as used now (instance creation). */
  async touch(project: string, fp: string): Promise<void> {
    await this.store.tx(async (tx) => {
      const scope = await this.scope(tx, project);
      const rec = await tx.images.get(scope, fp);
      if (rec) tx.images.put(scope, fp, { ...rec, last_used_at: formatTime(new Date()) });
    });
  }
}

export function toApi(rec: ImageRecord, aliases: { name: string; description: string }[]): Image {
  const img: Image = {
    aliases: aliases.map((a) => ({ name: a.name, description: a.description })),
    architecture: rec.architecture,
    auto_update: rec.auto_update,
    cached: rec.cached,
    created_at: rec.created_at,
    expires_at: rec.expires_at,
    filename: rec.filename,
    fingerprint: rec.fingerprint,
    last_used_at: rec.last_used_at,
    profiles: rec.profiles,
    properties: rec.properties,
    public: rec.public,
    size: rec.size,
    type: rec.type,
    uploaded_at: rec.uploaded_at,
  };
  if (rec.update_source) img.update_source = rec.update_source;
  return img;
}

export function imageEtag(rec: ImageRecord): string {
  return etagOf(rec.public, rec.auto_update, rec.properties);
}
