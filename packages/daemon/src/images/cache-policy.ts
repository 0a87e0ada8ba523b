// Pure decisions about cached remote images: which settings apply, which images expire, which to refresh and when.
import { isUnsetTime, type ImageSource } from '@lodge/api';
import { serverSchema } from '../config/server.js';
import { isTrue } from '../config/validators.js';
import type { ImageRecord } from '../db/records.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

export interface ImageCacheSettings {
  /** images.auto_update_cached: cached images requested by alias get auto_update. */
  autoUpdateCached: boolean;
  /** images.auto_update_interval in milliseconds; 0 disables refreshes. */
  autoUpdateIntervalMs: number;
  /** images.remote_cache_expiry in milliseconds; 0 keeps cached images forever. */
  remoteCacheExpiryMs: number;
}

function number(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** The effective settings of a project: its own keys where set, else the server's, else the defaults. */
export function cacheSettings(server: Record<string, string>, project: Record<string, string> = {}): ImageCacheSettings {
  const value = (key: string): string | undefined => project[key] || server[key] || serverSchema.keys[key]?.default;
  return {
    autoUpdateCached: isTrue(value('images.auto_update_cached')),
    autoUpdateIntervalMs: number(value('images.auto_update_interval'), 6) * hourMs,
    remoteCacheExpiryMs: number(value('images.remote_cache_expiry'), 10) * dayMs,
  };
}

/** When an image was last of use: its last use, else its upload. */
function lastUse(rec: ImageRecord): number {
  return isUnsetTime(rec.last_used_at) ? Date.parse(rec.uploaded_at) : Date.parse(rec.last_used_at);
}

/** Cached images unused for longer than the expiry (none when the expiry is 0). Other images never expire here. */
export function expiredCachedImages(images: ImageRecord[], expiryMs: number, now: number): ImageRecord[] {
  if (expiryMs <= 0) return [];
  return images.filter((i) => i.cached && now - lastUse(i) > expiryMs);
}

/** Images the periodic refresh looks at: auto_update set and a source with an alias to follow. */
export function autoUpdateCandidates(images: ImageRecord[]): ImageRecord[] {
  return images.filter((i) => i.auto_update && i.update_source && i.update_source.server && i.update_source.alias);
}

/** Whether a periodic pass is due: interval > 0 and at least one interval since the last pass (never run: due). */
export function isDue(lastRun: number | undefined, intervalMs: number, now: number): boolean {
  if (intervalMs <= 0) return false;
  return lastRun === undefined || now - lastRun >= intervalMs;
}

export interface SourceQuery {
  server: string;
  protocol: string;
  alias: string;
  type: string;
  architectures: string[];
}

/**
 * An image with auto_update already pulled from the same server, protocol and alias (for the type and
 * one of the host's architectures, in their order; newest first): instance creation uses it rather than
 * download a newer one, since the periodic refresh keeps it current (LXD's PreferCached).
 */
export function cachedFromSource(images: ImageRecord[], q: SourceQuery): ImageRecord | undefined {
  const same = (s: ImageSource | undefined): boolean => !!s && s.server === q.server && s.protocol === q.protocol && s.alias === q.alias;
  for (const arch of q.architectures) {
    const hit = images
      .filter((i) => i.auto_update && same(i.update_source) && (q.type === '' || i.type === q.type) && i.architecture === arch)
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0];
    if (hit) return hit;
  }
  return undefined;
}

/** What a refresh found: the same image (nothing to do) or a different one that replaces it. */
export function refreshOutcome(current: string, resolved: string): 'unchanged' | 'replaced' {
  return current === resolved ? 'unchanged' : 'replaced';
}

/** How long the index of a simplestreams server may be reused: an hour, or less when refreshes are more frequent. */
export function indexMaxAge(intervalMs: number): number {
  return intervalMs > 0 ? Math.min(hourMs, intervalMs) : hourMs;
}
