// Snapshot endpoints: list, create, get, update expiry, rename, delete.
import type { InstanceSnapshotPost, InstanceSnapshotPut, InstanceSnapshotsPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { operation, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import { snapshotUrl } from '../instance/snapshots.js';
import type { State } from '../state.js';
import { apiUrl } from '../util/url.js';
import { etagCheck, lc } from './common.js';
import { instanceResources } from './instances.js';

function snapshotResources(name: string, snap: string): Record<string, string[]> {
  return instanceResources(name, { instances_snapshots: [snapshotUrl(name, snap)], containers_snapshots: [snapshotUrl(name, snap).replace('/1.0/instances/', '/1.0/containers/')] });
}

async function create(req: ApiRequest, s: State) {
  const name = req.param('name');
  const body = await req.json<InstanceSnapshotsPost>(shapes.snapshotsPost);
  await s.instances.precheckSnapshot(req.project, name, body);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Snapshotting instance',
    resources: instanceResources(name),
    run: async () => {
      await s.instances.createSnapshot(project, name, body, lc(req));
    },
  });
  return operation(op);
}

async function rename(req: ApiRequest, s: State) {
  const name = req.param('name');
  const snap = req.param('snapshot');
  const body = await req.json<InstanceSnapshotPost>(shapes.snapshotPost);
  if (body.migration) return operation(s.operations.start(await s.migration.source(req.project, name, { ...body, name: undefined, target: body.target }, snap)));
  if (!body.name) throw ApiError.badRequest('No name provided');
  await s.instances.snapshot(req.project, name, snap);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Renaming snapshot',
    resources: snapshotResources(name, snap),
    run: async () => s.instances.renameSnapshot(project, name, snap, body.name!, lc(req)),
  });
  return operation(op);
}

/** PUT and PATCH alike (LXD: only expires_at is editable); without expires_at nothing changes. */
async function update(req: ApiRequest, s: State) {
  const name = req.param('name');
  const snap = req.param('snapshot');
  const raw = await req.json<InstanceSnapshotPut & Record<string, unknown>>(shapes.snapshotPut);
  for (const key of ['config', 'devices', 'profiles', 'architecture', 'ephemeral']) {
    if (raw[key] !== undefined && raw[key] !== null) throw ApiError.badRequest(`Snapshots are immutable: only "expires_at" can be changed (not "${key}")`);
  }
  const { etag } = await s.instances.snapshot(req.project, name, snap);
  etagCheck(req)(etag);
  const expiresAt = raw.expires_at;
  if (expiresAt && Number.isNaN(Date.parse(expiresAt))) throw ApiError.badRequest(`Invalid expires_at "${expiresAt}"`);
  // An operation, as LXD answers: lxc waits on it (a sync reply leaves `lxc config edit c1/snap` polling forever).
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Updating snapshot',
    resources: snapshotResources(name, snap),
    run: async () => {
      if (expiresAt === undefined) return;
      await s.instances.updateSnapshot(project, name, snap, expiresAt, lc(req));
    },
  });
  return operation(op);
}

async function del(req: ApiRequest, s: State) {
  const name = req.param('name');
  const snap = req.param('snapshot');
  await s.instances.snapshot(req.project, name, snap);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Deleting snapshot',
    resources: snapshotResources(name, snap),
    run: async () => s.instances.deleteSnapshot(project, name, snap, lc(req)),
  });
  return operation(op);
}

export const instanceSnapshotEndpoints: Endpoint[] = [
  {
    path: '/1.0/instances/{name}/snapshots',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const name = req.param('name');
        const snaps = await s.instances.snapshots(req.project, name);
        return sync(req.recursion > 0 ? snaps : snaps.map((x) => apiUrl(snapshotUrl(name, x.name), req.project)));
      },
    },
    post: { access: authenticated, handle: create },
  },
  {
    path: '/1.0/instances/{name}/snapshots/{snapshot}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { snapshot, etag } = await s.instances.snapshot(req.project, req.param('name'), req.param('snapshot'));
        return sync(snapshot, { etag });
      },
    },
    put: { access: authenticated, handle: (req, s) => update(req, s) },
    patch: { access: authenticated, handle: (req, s) => update(req, s) },
    post: { access: authenticated, handle: rename },
    delete: { access: authenticated, handle: del },
  },
];
