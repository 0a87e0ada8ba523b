// Pushing an image to another server (POST /1.0/images/<fp>/export): upload into the target's push token.
import type { ImageExportPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { LodgeClient, pushImage } from '@lodge/client';
import type { ImageRecord } from '../db/records.js';
import type { Paths } from '../sys/paths.js';

/** Uploads the image's files to the target as an untrusted client holding the token's secret, and waits for its import. */
export async function pushToTarget(paths: Paths, rec: ImageRecord, req: ImageExportPost): Promise<void> {
  if (!req.target) throw ApiError.badRequest('No target given');
  let url: URL;
  try {
    url = new URL(req.target);
  } catch {
    throw ApiError.badRequest(`Invalid target "${req.target}"`);
  }
  if (url.protocol !== 'https:') throw ApiError.badRequest(`The target must be an https URL, not "${req.target}"`);
  const target = LodgeClient.https(req.target, { ca: req.certificate || undefined }, req.project || 'default');
  try {
    await pushImage(target, {
      fingerprint: rec.fingerprint,
      secret: req.secret,
      metaFile: paths.image(rec.fingerprint),
      rootfsFile: rec.split ? paths.imageRootfs(rec.fingerprint) : undefined,
      filename: rec.filename,
    });
  } finally {
    target.close();
  }
}
