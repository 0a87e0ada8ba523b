// Copying an instance or a snapshot to a server (the Go client's CopyInstance and CopyInstanceSnapshot): a local
// copy when both ends are the same server, else LXD's migration in pull, push or relay mode.
import type { InstancePostTarget, InstancePut, InstanceSnapshot, InstanceSource, InstanceType, Operation } from '@lodge/api';
import type { LodgeClient } from './client.js';
import { instanceMigrationPost, instancesPost, snapshotMigrationPost, type InstancesPostBody } from './go-bodies.js';
import { relayMigration } from './migration-relay.js';
import type { RemoteOperation } from './operation.js';
import { followOne, TransferOperation, tryAddresses } from './transfer.js';

export interface InstanceCopyArgs {
  /** The new instance's name (default: the source's). */
  name?: string;
  /** Ask for a live migration (only honoured for a running source). */
  live?: boolean;
  instanceOnly?: boolean;
  /** pull (default), push or relay. */
  mode?: string;
  refresh?: boolean;
  allowInconsistent?: boolean;
}

/** The source instance as the copy should be created (overrides applied to its writable fields). */
export interface CopySource extends InstancePut {
  name: string;
  type?: string;
  status_code: number;
}

const running = 103;

async function need(c: LodgeClient, ext: string, which: 'target' | 'source' | ''): Promise<void> {
  if (!(await c.hasExtension(ext))) throw new Error(`The ${which ? `${which} ` : ''}server is missing the required "${ext}" API extension`);
}

async function checkMode(dest: LodgeClient, source: LodgeClient, mode: string): Promise<void> {
  if (mode === 'push' || mode === 'relay') {
    await need(dest, 'container_push', 'target');
    await need(source, 'container_push', 'source');
  }
  if (mode === 'push') await need(source, 'container_push_target', 'source');
}

/** Channel secrets from a websocket operation's metadata. */
export function operationSecrets(op: Operation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(op.metadata ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

const operationUrl = (server: string, id: string): string => `${server}/1.0/operations/${encodeURIComponent(id)}`;

/** Best effort: a transfer that failed must not leave the other side waiting for connections. */
function cancel(c: LodgeClient, op: RemoteOperation): Promise<void> {
  return c.query('DELETE', `/1.0/operations/${encodeURIComponent(op.id)}`).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * The error of a target operation that has already failed. A target that refuses the definition only once its
 * operation runs (lodged checks profiles there, LXD in the request) breaks the connections of a push or a relay, and
 * its own reason says more than the broken connection does.
 */
async function targetFailure(c: LodgeClient, op: RemoteOperation, e: unknown): Promise<Error> {
  const got = await c.get<Operation>(`/1.0/operations/${encodeURIComponent(op.id)}`).catch(() => undefined);
  return got && got.status_code >= 400 && got.err ? new Error(got.err) : (e as Error);
}

/** Same URL and unix socket: one server (the Go client's local copy optimisation). */
async function sameServer(dest: LodgeClient, source: LodgeClient): Promise<{ same: boolean; sourceProject: string; destProject: string }> {
  const s = await source.connectionInfo().catch((e: Error) => Promise.reject(new Error(`Failed to get source connection info: ${e.message}`)));
  const d = await dest.connectionInfo().catch((e: Error) => Promise.reject(new Error(`Failed to get destination connection info: ${e.message}`)));
  return { same: s.url === d.url && (s.socketPath ?? '') === (d.socketPath ?? ''), sourceProject: s.project, destProject: d.project };
}

/** Whether two clients reach the same server (a copy between them is then a local copy). */
export async function isSameServer(dest: LodgeClient, source: LodgeClient): Promise<boolean> {
  return (await sameServer(dest, source)).same;
}

interface Migration {
  dest: LodgeClient;
  source: LodgeClient;
  /** The target's request; its source gets the mode's fields. */
  req: InstancesPostBody;
  /** The source's request path (instance or snapshot) and body for a given push target. */
  sourcePath: string;
  sourceBody: (target: InstancePostTarget | null) => Record<string, unknown>;
  mode: string;
}

/** Push: the target opens a websocket operation and the source daemon connects to it, at each target address in turn. */
async function push(m: Migration): Promise<TransferOperation> {
  const info = await m.dest.connectionInfo();
  const targetOp = await m.dest.operation('POST', '/1.0/instances', instancesPost({ ...m.req, source: { ...m.req.source, type: 'migration', mode: 'push' } }));
  const secrets = operationSecrets(targetOp.operation);
  return new TransferOperation(async (t) => {
    try {
      const start = (url: string): Promise<RemoteOperation> => m.source.operation('POST', m.sourcePath, m.sourceBody({ certificate: info.certificate, operation: operationUrl(url, targetOp.id), secrets }));
      await tryAddresses(info.addresses, start, { msg: 'Failed instance migration', follow: (op) => t.follow(op), whenNone: "The target server isn't listening on the network" });
    } catch (e) {
      const why = await targetFailure(m.dest, targetOp, e);
      await cancel(m.dest, targetOp);
      throw why === e ? e : new Error(`Failed instance migration: ${why.message}`);
    }
    // The target commits after the source has finished: wait for it too, so that what follows (start, delete) sees it.
    t.follow(targetOp);
    return targetOp.wait();
  });
}

/** Pull and relay: the source daemon opens a websocket operation first. */
async function fromSource(m: Migration): Promise<TransferOperation> {
  const info = await m.source.connectionInfo();
  const sourceOp = await m.source.operation('POST', m.sourcePath, m.sourceBody(null));
  const sourceSecrets = operationSecrets(sourceOp.operation);
  if (m.mode === 'relay') {
    let targetOp: RemoteOperation;
    try {
      targetOp = await m.dest.operation('POST', '/1.0/instances', instancesPost({ ...m.req, source: { ...m.req.source, type: 'migration', mode: 'push' } }));
    } catch (e) {
      await cancel(m.source, sourceOp);
      throw e;
    }
    let relay: Awaited<ReturnType<typeof relayMigration>>;
    try {
      relay = await relayMigration({ client: m.dest, operation: targetOp.id, secrets: operationSecrets(targetOp.operation) }, { client: m.source, operation: sourceOp.id, secrets: sourceSecrets });
    } catch (e) {
      const why = await targetFailure(m.dest, targetOp, e);
      await Promise.all([cancel(m.source, sourceOp), cancel(m.dest, targetOp)]);
      throw why;
    }
    return new TransferOperation(async (t) => {
      t.follow(targetOp);
      try {
        return await targetOp.wait();
      } finally {
        relay.close();
      }
    });
  }
  const base: InstanceSource = { ...m.req.source, type: 'migration', mode: 'pull', secrets: sourceSecrets, certificate: info.certificate };
  return new TransferOperation(async (t) => {
    try {
      const start = (url: string): Promise<RemoteOperation> => m.dest.operation('POST', '/1.0/instances', instancesPost({ ...m.req, source: { ...base, operation: operationUrl(url, sourceOp.id) } }));
      return await tryAddresses(info.addresses, start, { msg: 'Failed instance creation', follow: (op) => t.follow(op), whenNone: "The source server isn't listening on the network" });
    } catch (e) {
      await cancel(m.source, sourceOp);
      throw e;
    }
  });
}

function migrate(m: Migration): Promise<TransferOperation> {
  return m.mode === 'push' ? push(m) : fromSource(m);
}

/** CopyInstance: `instance` carries the definition to create (the source's, with the caller's overrides). */
export async function copyInstance(dest: LodgeClient, source: LodgeClient, instance: CopySource, args: InstanceCopyArgs = {}): Promise<TransferOperation> {
  const mode = args.mode || 'pull';
  if (args.instanceOnly) {
    await need(dest, 'container_only_migration', 'target');
    await need(source, 'container_only_migration', 'source');
  }
  await checkMode(dest, source, mode);
  if (args.refresh) {
    await need(dest, 'container_incremental_copy', 'target');
    await need(source, 'container_incremental_copy', 'source');
  }
  // The Go client names the source here although it checks the target.
  if (args.allowInconsistent && !(await dest.hasExtension('instance_allow_inconsistent_copy'))) {
    throw new Error('The source server is missing the required "instance_allow_inconsistent_copy" API extension');
  }
  const live = args.live === true && instance.status_code === running;
  const req: InstancesPostBody = {
    architecture: instance.architecture,
    config: instance.config,
    devices: instance.devices,
    ephemeral: instance.ephemeral,
    profiles: instance.profiles,
    stateful: instance.stateful,
    description: instance.description,
    name: args.name || instance.name,
    type: (instance.type ?? '') as InstanceType | '',
    source: {
      type: '',
      'base-image': instance.config?.['volatile.base_image'],
      live,
      instance_only: args.instanceOnly === true,
      container_only: args.instanceOnly === true,
      refresh: args.refresh === true,
      allow_inconsistent: args.allowInconsistent === true,
    },
  };
  const where = await sameServer(dest, source);
  if (where.same) {
    if (where.destProject !== where.sourceProject) {
      await need(dest, 'container_copy_project', '');
      req.source.project = where.sourceProject;
    }
    if (args.instanceOnly) await need(dest, 'container_only_migration', '');
    return followOne(await dest.operation('POST', '/1.0/instances', instancesPost({ ...req, source: { ...req.source, type: 'copy', source: instance.name } })));
  }
  const sourceBody = (target: InstancePostTarget | null): Record<string, unknown> =>
    instanceMigrationPost({ live, instanceOnly: args.instanceOnly === true, allowInconsistent: args.allowInconsistent === true, target });
  return migrate({ dest, source, req, sourcePath: `/1.0/instances/${encodeURIComponent(instance.name)}`, sourceBody, mode });
}

/** CopyInstanceSnapshot: a snapshot of `instanceName` becomes a new instance (named by args.name, else the parent's name). */
export async function copyInstanceSnapshot(
  dest: LodgeClient,
  source: LodgeClient,
  instanceName: string,
  snapshot: Pick<InstanceSnapshot, 'name' | 'architecture' | 'config' | 'devices' | 'ephemeral' | 'profiles' | 'stateful'>,
  args: { name?: string; mode?: string; live?: boolean } = {},
): Promise<TransferOperation> {
  const mode = args.mode || 'pull';
  const snapName = snapshot.name.split('/').pop() ?? snapshot.name;
  const live = snapshot.stateful && args.live === true;
  const req: InstancesPostBody = {
    name: args.name || instanceName,
    architecture: snapshot.architecture,
    config: snapshot.config,
    devices: snapshot.devices,
    ephemeral: snapshot.ephemeral,
    profiles: snapshot.profiles,
    source: { type: '', 'base-image': snapshot.config?.['volatile.base_image'] },
  };
  if (live) {
    await need(dest, 'container_snapshot_stateful_migration', '');
    req.stateful = true;
    req.source.live = true;
  }
  await checkMode(dest, source, mode);
  const where = await sameServer(dest, source);
  const { instance } = await source.instances.get(instanceName).catch((e: Error) => Promise.reject(new Error(`Failed to get instance info: ${e.message}`)));
  if (where.same) {
    if (where.destProject !== where.sourceProject) {
      await need(dest, 'container_copy_project', '');
      req.source.project = where.sourceProject;
    }
    return followOne(await dest.operation('POST', '/1.0/instances', instancesPost({ ...req, source: { ...req.source, type: 'copy', source: `${instanceName}/${snapName}` } })));
  }
  if (await source.hasExtension('virtual-machines')) req.type = instance.type;
  const sourceBody = (target: InstancePostTarget | null): Record<string, unknown> => snapshotMigrationPost({ name: args.name ?? '', live, target });
  const sourcePath = `/1.0/instances/${encodeURIComponent(instanceName)}/snapshots/${encodeURIComponent(snapName)}`;
  return migrate({ dest, source, req, sourcePath, sourceBody, mode });
}
