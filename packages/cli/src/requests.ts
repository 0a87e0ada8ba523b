// Request bodies in the field order and with the zero values the Go client sends (encoding/json of shared/api
// structs), so that lodged, LXD and request captures see what lxc sends.
import { zeroTime, type ImagesPost } from '@lodge/api';

/** api.ImagesPost with every field, in struct order (ImagePut, filename, source, compression_algorithm, aliases). */
export function imagesPost(b: ImagesPost): Record<string, unknown> {
  const s = b.source;
  return {
    auto_update: b.auto_update ?? false,
    properties: b.properties ?? null,
    public: b.public ?? false,
    expires_at: b.expires_at ?? zeroTime,
    profiles: b.profiles ?? null,
    filename: b.filename ?? '',
    source: s
      ? {
          alias: s.alias ?? '',
          certificate: s.certificate ?? '',
          protocol: s.protocol ?? '',
          server: s.server ?? '',
          image_type: s.image_type ?? '',
          mode: s.mode ?? '',
          type: s.type ?? '',
          url: s.url ?? '',
          name: s.name ?? '',
          fingerprint: s.fingerprint ?? '',
          secret: s.secret ?? '',
          project: s.project ?? '',
        }
      : null,
    compression_algorithm: b.compression_algorithm ?? '',
    aliases: b.aliases ?? null,
  };
}

// The instance bodies live in the client, which sends them for copies between servers.
export { instanceSource, instancesPost, type InstancesPostBody } from '@lodge/client';
