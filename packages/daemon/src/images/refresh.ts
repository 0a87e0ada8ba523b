// Image refresh: follow an image's source alias; a different fingerprint there replaces the image here.
import { ApiError } from '@lodge/api';
import type { LifecycleOptions } from '../events/hub.js';
import type { ImageDownloader } from './download.js';
import { refreshOutcome } from './cache-policy.js';
import type { ImageService } from './service.js';

export interface RefreshResult {
  refreshed: boolean;
  /** The image's fingerprint after the refresh. */
  fingerprint: string;
}

export class ImageRefresher {
  constructor(
    private readonly images: ImageService,
    private readonly downloader: ImageDownloader,
  ) {}

  /**
   * Resolves the image's source alias again (reading the server's index afresh when asked by hand) and,
   * when it now names another image, downloads that one and lets it take the old one's place.
   */
  async refresh(project: string, prefix: string, opts: { manual: boolean; lc: LifecycleOptions; progress?: (md: Record<string, unknown>) => void; signal?: AbortSignal }): Promise<RefreshResult> {
    const { record } = await this.images.get(project, prefix);
    const source = record.update_source;
    if (!source?.server || !source.alias) throw ApiError.badRequest(`Image "${record.fingerprint}" has no source to refresh from`);
    const next = await this.downloader.download({
      project,
      server: source.server,
      protocol: source.protocol,
      certificate: source.certificate,
      alias: source.alias,
      type: record.type,
      autoUpdate: true,
      public: record.public,
      fresh: opts.manual,
      progress: opts.progress,
      signal: opts.signal,
      lc: opts.lc,
    });
    if (refreshOutcome(record.fingerprint, next.fingerprint) === 'unchanged') return { refreshed: false, fingerprint: record.fingerprint };
    await this.images.replace(project, record.fingerprint, next.fingerprint);
    this.images.events.lifecycle(project, 'image-refreshed', `/1.0/images/${record.fingerprint}`, opts.lc);
    return { refreshed: true, fingerprint: next.fingerprint };
  }
}
