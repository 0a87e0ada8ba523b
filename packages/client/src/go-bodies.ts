// Instance request bodies in the field order and with the zero values the Go client sends (encoding/json of
// shared/api structs), so that lodged, LXD and request captures see exactly what lxc sends.
import type { Devices, InstancePostTarget, InstanceSource, InstanceType } from '@lodge/api';

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

/** api.InstancePostTarget: the operation and secrets are omitted when empty. */
function postTarget(t: InstancePostTarget | null | undefined): Record<string, unknown> | null {
  if (!t) return null;
  const out: Record<string, unknown> = { certificate: t.certificate };
  if (t.operation) out.operation = t.operation;
  if (t.secrets && Object.keys(t.secrets).length > 0) out.secrets = t.secrets;
  return out;
}

/** api.InstancePost with migration (the source side of a copy between servers): every field, target null or set. */
export function instanceMigrationPost(b: { live: boolean; instanceOnly: boolean; allowInconsistent: boolean; target?: InstancePostTarget | null }): Record<string, unknown> {
  return {
    name: '',
    migration: true,
    live: b.live,
    instance_only: b.instanceOnly,
    container_only: b.instanceOnly,
    target: postTarget(b.target),
    pool: '',
    project: '',
    allow_inconsistent: b.allowInconsistent,
  };
}

/** api.InstanceSnapshotPost with migration: live only when true (omitempty). */
export function snapshotMigrationPost(b: { name: string; live: boolean; target?: InstancePostTarget | null }): Record<string, unknown> {
  return { name: b.name, migration: true, target: postTarget(b.target), ...(b.live ? { live: true } : {}) };
}
