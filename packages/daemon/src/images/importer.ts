// Image import: checks a spooled upload (safety, metadata, fingerprint), moves it into place, records it.
import { rename, rm } from 'node:fs/promises';
import type { ImageAlias, ImageSource } from '@lodge/api';
import { ApiError, epochTime, formatTime, zeroTime } from '@lodge/api';
import type { ImageRecord } from '../db/records.js';
import type { LifecycleOptions } from '../events/hub.js';
import { exists } from '../sys/fs.js';
import type { Runner } from '../sys/runner.js';
import { Reverter } from '../util/reverter.js';
import type { AliasService } from './aliases.js';
import { detectCompression, type Compression } from './compression.js';
import { inspectTarball } from './inspect.js';
import { parseImageMetadata } from './metadata.js';
import type { ImageService } from './service.js';
import { UnsafeTarError } from './tar-safety.js';
import type { SpooledImage } from './upload.js';

export interface ImportRequest {
  project: string;
  spooled: SpooledImage;
  expectedFingerprint?: string;
  public?: boolean;
  filename?: string;
  /** Overrides for metadata.yaml properties (X-LXD-properties). */
  properties?: Record<string, string>;
  /** False: the properties are exactly `properties` (an image server's description of the image, as LXD keeps it). */
  metadataProperties?: boolean;
  aliases?: ImageAlias[];
  profiles?: string[];
  cached?: boolean;
  autoUpdate?: boolean;
  updateSource?: ImageSource;
  /** Dates the image server gave (downloads); metadata.yaml's otherwise. */
  createdAt?: string;
  expiresAt?: string;
  /** Cached images start as used now (so the expiry counts from their download). */
  lastUsedAt?: string;
  lc: LifecycleOptions;
}

interface Checked {
  architecture: string;
  type: 'container' | 'virtual-machine';
  properties: Record<string, string>;
  creationDate: number;
  expiryDate: number;
}

async function tarKind(path: string, what: string): Promise<Compression> {
  const c = await detectCompression(path);
  if (!c?.tar) throw ApiError.badRequest(`Unsupported ${what} format (not a tarball)`);
  return c;
}

export class ImageImporter {
  constructor(
    private readonly images: ImageService,
    private readonly aliases: AliasService,
    private readonly runner: Runner,
  ) {}

  async import(req: ImportRequest): Promise<ImageRecord> {
    try {
      return await this.importSpooled(req);
    } finally {
      // Whatever was not moved into place (or everything, on failure) goes.
      await req.spooled.cleanup();
    }
  }

  private async importSpooled(req: ImportRequest): Promise<ImageRecord> {
    const fp = req.spooled.fingerprint;
    if (req.expectedFingerprint && req.expectedFingerprint !== fp) {
      throw ApiError.badRequest(`fingerprints don't match, got ${fp} expected ${req.expectedFingerprint}`);
    }
    return this.images.locks.run(fp, async () => {
      const scope = await this.images.store.read((tx) => this.images.scope(tx, req.project));
      if (await this.images.store.read((tx) => tx.images.exists(scope, fp))) {
        throw ApiError.conflict('Image with same fingerprint already exists');
      }
      const checked = await this.check(req.spooled);
      const record = this.record(req, checked);
      const revert = new Reverter();
      try {
        await this.moveIntoPlace(req.spooled, revert);
        await this.images.store.tx(async (tx) => {
          const s = await this.images.scope(tx, req.project);
          await tx.images.create(s, fp, record);
          for (const a of req.aliases ?? []) await this.aliases.createIn(tx, req.project, { name: a.name, description: a.description ?? '', target: fp, type: record.type });
          tx.onCommit(() => this.images.events.lifecycle(req.project, 'image-created', `/1.0/images/${fp}`, { ...req.lc, context: { type: record.type } }));
        });
        revert.success();
        return record;
      } finally {
        await revert.run();
      }
    });
  }

  /** Validates the files without changing anything; throws a 400 on the first problem. */
  private async check(sp: SpooledImage): Promise<Checked> {
    try {
      const meta = await inspectTarball({
        path: sp.metaPath,
        compression: await tarKind(sp.metaPath, sp.rootfsPath ? 'metadata' : 'image'),
        runner: this.runner,
        capture: (p) => p === 'metadata.yaml',
      });
      const yaml = meta.files.get('metadata.yaml');
      if (!yaml) throw ApiError.badRequest('Metadata tarball is missing metadata.yaml');
      const md = parseImageMetadata(yaml.toString('utf8'));
      const type = sp.rootfsPath ? await this.checkRootfs(sp) : unifiedType(meta.entries);
      return { architecture: md.architecture, type, properties: md.properties, creationDate: md.creation_date, expiryDate: md.expiry_date };
    } catch (e) {
      if (e instanceof UnsafeTarError) throw ApiError.badRequest(e.message);
      throw e;
    }
  }

  private async checkRootfs(sp: SpooledImage): Promise<'container' | 'virtual-machine'> {
    const path = sp.rootfsPath!;
    const c = await detectCompression(path);
    if (sp.rootfsPart === 'rootfs.img' || c?.ext === '.qcow2') return 'virtual-machine';
    if (c?.squashfs) {
      await this.runner.run('unsquashfs', ['-s', path]).catch((e: Error) => {
        throw ApiError.badRequest(`Invalid squashfs root filesystem: ${e.message}`);
      });
      return 'container';
    }
    if (!c?.tar) throw ApiError.badRequest('Unsupported root filesystem format (want a tarball or squashfs)');
    await inspectTarball({ path, compression: c, runner: this.runner, capture: () => false, rootOf: () => '' });
    return 'container';
  }

  private async moveIntoPlace(sp: SpooledImage, revert: Reverter): Promise<void> {
    const fp = sp.fingerprint;
    const targets: [string, string][] = [[sp.metaPath, this.images.paths.image(fp)]];
    if (sp.rootfsPath) targets.push([sp.rootfsPath, this.images.paths.imageRootfs(fp)]);
    for (const [from, to] of targets) {
      // The same fingerprint in another project means identical bytes are already in place.
      if (await exists(to)) continue;
      await rename(from, to);
      revert.add(() => rm(to, { force: true }));
    }
  }

  private record(req: ImportRequest, c: Checked): ImageRecord {
    const now = formatTime(new Date());
    const fp = req.spooled.fingerprint;
    const ext = req.spooled.rootfsPath ? '' : '.tar';
    return {
      fingerprint: fp,
      filename: req.filename || req.spooled.rootfsFilename || `${fp}${ext}`,
      size: req.spooled.size,
      architecture: c.architecture,
      type: c.type,
      public: req.public ?? false,
      auto_update: req.autoUpdate ?? false,
      cached: req.cached ?? false,
      properties: { ...(req.metadataProperties === false ? {} : c.properties), ...(req.properties ?? {}) },
      profiles: req.profiles ?? ['default'],
      created_at: req.createdAt ?? formatTime(c.creationDate * 1000),
      expires_at: req.expiresAt ?? (c.expiryDate > 0 ? formatTime(c.expiryDate * 1000) : epochTime),
      last_used_at: req.lastUsedAt ?? zeroTime,
      uploaded_at: now,
      update_source: req.updateSource,
      split: req.spooled.rootfsPath !== undefined,
    };
  }
}

function unifiedType(entries: Set<string>): 'container' | 'virtual-machine' {
  if (entries.has('rootfs')) return 'container';
  if (entries.has('rootfs.img')) return 'virtual-machine';
  for (const e of entries) if (e.startsWith('rootfs/')) return 'container';
  throw ApiError.badRequest('Image tarball has neither rootfs/ nor rootfs.img');
}
