// Periodic image tasks: remove cached images unused for images.remote_cache_expiry days (at start, then daily),
// and refresh images with auto_update every images.auto_update_interval hours (per project).
import { globalScope } from '../db/store.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Logger } from '../sys/log.js';
import { autoUpdateCandidates, cacheSettings, expiredCachedImages, isDue, type ImageCacheSettings } from './cache-policy.js';
import type { ImageRefresher } from './refresh.js';
import type { ImageService } from './service.js';

const dayMs = 24 * 3_600_000;

interface ProjectImages {
  project: string;
  settings: ImageCacheSettings;
}

export class ImageTasks {
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private lastExpiry?: number;
  private readonly lastUpdate = new Map<string, number>();

  constructor(
    private readonly images: ImageService,
    private readonly refresher: ImageRefresher,
    private readonly operations: OperationRegistry,
    private readonly log: Logger,
  ) {}

  /** Runs a first pass now, then checks every second which pass is due (settings may change at any time). */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** No new pass starts; one under way is an operation, which shutdown waits for like any other. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(now = Date.now()): void {
    if (this.busy) return;
    this.busy = this.due(now)
      .catch((e: Error) => this.log.warn('Image tasks failed', { err: e.message }))
      .finally(() => (this.busy = undefined));
  }

  /** Projects that own their images (features.images, and default), with their effective settings. */
  private async projects(): Promise<ProjectImages[]> {
    return this.images.store.read(async (tx) => {
      const server = await tx.serverConfig();
      const out: ProjectImages[] = [];
      for (const p of await tx.projects.list(globalScope)) {
        if ((await this.images.scope(tx, p.name)) !== p.name) continue;
        out.push({ project: p.name, settings: cacheSettings(server, p.config) });
      }
      return out;
    });
  }

  private async due(now: number): Promise<void> {
    const projects = await this.projects();
    const expiries = projects.map((p) => p.settings.remoteCacheExpiryMs).filter((ms) => ms > 0);
    if (expiries.length > 0 && isDue(this.lastExpiry, Math.min(dayMs, ...expiries), now)) {
      this.lastExpiry = now;
      await this.expire(projects, now);
    }
    for (const p of projects) {
      if (!isDue(this.lastUpdate.get(p.project), p.settings.autoUpdateIntervalMs, now)) continue;
      this.lastUpdate.set(p.project, now);
      await this.update(p.project);
    }
  }

  /** Deletes the cached images of each project that were not used within its expiry. */
  async expire(projects: ProjectImages[], now = Date.now()): Promise<void> {
    const expired: { project: string; fingerprint: string }[] = [];
    for (const p of projects) {
      const list = await this.images.store.read((tx) => tx.images.list(p.project));
      for (const rec of expiredCachedImages(list, p.settings.remoteCacheExpiryMs, now)) expired.push({ project: p.project, fingerprint: rec.fingerprint });
    }
    if (expired.length === 0) return;
    await this.runTask('Cleaning up expired images', async () => {
      for (const e of expired) {
        this.log.info('Deleting expired cached image', e);
        await this.images.delete(e.project, e.fingerprint, {}).catch((err: Error) => this.log.warn('Failed to delete expired image', { ...e, err: err.message }));
      }
    });
  }

  /** A pass with work to do runs as a server-wide task operation (visible in lxc operation list, waited for on shutdown). */
  private async runTask(description: string, run: () => Promise<void>): Promise<void> {
    await this.operations.start({ project: undefined, description, run }).wait(-1);
  }

  /** Refreshes the images of a project that have auto_update and a source. */
  async update(project: string): Promise<void> {
    const candidates = autoUpdateCandidates(await this.images.store.read((tx) => tx.images.list(project)));
    if (candidates.length === 0) return;
    await this.runTask('Updating images', async () => {
      for (const rec of candidates) {
        try {
          const r = await this.refresher.refresh(project, rec.fingerprint, { manual: false, lc: {} });
          if (r.refreshed) this.log.info('Image refreshed', { project, old: rec.fingerprint, new: r.fingerprint });
        } catch (e) {
          this.log.warn('Failed to update image', { project, fingerprint: rec.fingerprint, err: (e as Error).message });
        }
      }
    });
  }
}
