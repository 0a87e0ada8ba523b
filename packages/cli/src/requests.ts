// Request bodies in the field order and with the zero values the Go client sends (encoding/json of shared/api
// structs), so that lodged, LXD and request captures see what lxc sends.
import type { Devices, ImagesPost, InstanceSource, InstanceType } from '@lodge/api';

export const goZeroTime = '0001-01-01T00:00:00Z';

/** api.ImagesPost with every field, in struct order (ImagePut, filename, source, compression_algorithm, aliases). */
export function imagesPost(b: ImagesPost): Record<string, unknown> {
  const s = b.source;
  return {
    auto_update: b.auto_update ?? false,
    properties: b.properties ?? null,
    public: b.public ?? false,
    expires_at: b.expires_at ?? goZeroTime,
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

/** api.InstanceSource: type and certificate always, the rest omitted when empty, allow_inconsistent always. */
export function instanceSource(s: InstanceSource): InstanceSource {
  const out: InstanceSource = { type: s.type, certificate: s.certificate ?? '' };
  const keys: (keyof InstanceSource)[] = ['alias', 'fingerprint', 'properties', 'server', 'secret', 'protocol', 'base-image', 'mode', 'operation', 'secrets', 'source', 'live', 'instance_only', 'container_only', 'refresh', 'project'];
  for (const k of keys) {
    const v = s[k];
    if (v === undefined || v === '' || v === false || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)) continue;
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  out.allow_inconsistent = s.allow_inconsistent === true;
  return out;
}

export interface InstancesPostBody {
  architecture?: string;
  config?: Record<string, string> | null;
  devices?: Devices | null;
  ephemeral?: boolean;
  profiles?: string[] | null;
  stateful?: boolean;
  description?: string;
  name: string;
  source: InstanceSource;
  instance_type?: string;
  type?: InstanceType | '';
}

/** api.InstancesPost: the InstancePut fields, name, source, instance_type, type. */
export function instancesPost(b: InstancesPostBody): Record<string, unknown> {
  return {
    architecture: b.architecture ?? '',
    config: b.config ?? null,
    devices: b.devices ?? null,
    ephemeral: b.ephemeral ?? false,
    profiles: b.profiles ?? null,
    stateful: b.stateful ?? false,
    description: b.description ?? '',
    name: b.name,
    source: instanceSource(b.source),
    instance_type: b.instance_type ?? '',
    type: b.type ?? '',
  };
}
