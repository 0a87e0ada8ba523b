// Instance endpoints: list, create, get, replace, patch, rename, delete (also under /1.0/containers).
import type { InstancePost, InstancePut, InstanceStatePut, InstancesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { applyFilter } from '../http/filter.js';
import { empty, operation, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { State } from '../state.js';
import { apiUrl, seg } from '../util/url.js';
import { etagCheck, lc } from './common.js';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { validateInstanceName } from '../config/names.js';
import { tempName } from '../sys/fs.js';
import { restoreTarget } from '../instance/restore.js';

export function instanceResources(name: string, extra: Record<string, string[]> = {}): Record<string, string[]> {
  return { containers: [`/1.0/containers/${seg(name)}`], instances: [`/1.0/instances/${seg(name)}`], ...extra };
}

/** "/1.0/containers/..." requests list and name things with the prefix they came in with. */
export function prefixOf(req: ApiRequest): string {
  return req.path.startsWith('/1.0/containers') ? '/1.0/containers' : '/1.0/instances';
}

async function list(req: ApiRequest, s: State) {
  const all = req.query.get('all-projects') === 'true';
  const type = req.query.get('instance-type');
  if (type === 'virtual-machine' || req.path.startsWith('/1.0/virtual-machines')) return sync([]);
  const items = await s.instances.list(all ? undefined : req.project, req.recursion >= 2);
  const filtered = applyFilter(items, req.query.get('filter'));
  if (req.recursion === 0) return sync(filtered.map((i) => apiUrl(`${prefixOf(req)}/${seg(i.name)}`, i.project)));
  return sync(filtered);
}

/** POST /1.0/instances with a backup tarball as the body (`lxc import`). */
async function importBackup(req: ApiRequest, s: State) {
  const name = req.headers['x-lxd-name'] as string | undefined;
  if (name) validateInstanceName(name);
  const pool = req.headers['x-lxd-pool'] as string | undefined;
  const file = tempName(s.paths.backups, '.import-');
  await pipeline(req.raw, createWriteStream(file, { mode: 0o600 })).catch(async (e: Error) => {
    await rm(file, { force: true });
    throw ApiError.badRequest(`Failed to receive the backup: ${e.message}`);
  });
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Restoring backup',
    resources: name ? instanceResources(name) : null,
    run: async () => {
      try {
        await s.instances.importBackup({ project, file, name, pool, lc: lc(req) });
      } finally {
        await rm(file, { force: true });
      }
    },
  });
  return operation(op);
}

async function create(req: ApiRequest, s: State) {
  const ctype = (req.headers['content-type'] ?? '').toLowerCase();
  if (ctype.startsWith('application/octet-stream')) return importBackup(req, s);
  const body = await req.json<InstancesPost>(shapes.instancesPost);
  const name = await s.instances.precheckCreate(req.project, body);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Creating instance',
    resources: instanceResources(name),
    run: async (ctx) => {
      await s.instances.create(project, body, (md) => ctx.setMetadata(md), lc(req));
    },
  });
  return operation(op);
}

async function get(req: ApiRequest, s: State) {
  const name = req.param('name');
  if (req.recursion > 0) {
    const { instance, etag } = await s.instances.full(req.project, name);
    return sync(instance, { etag });
  }
  const { instance, etag } = await s.instances.get(req.project, name);
  return sync(instance, { etag });
}

async function put(req: ApiRequest, s: State) {
  const name = req.param('name');
  const body = await req.json<InstancePut>(shapes.instancePut);
  await s.instances.view(req.project, name);
  const project = req.project;
  if (body.restore) {
    const restore = body.restore;
    await s.instances.snapshot(project, name, restoreTarget(name, restore));
    const op = s.operations.start({
      project,
      description: 'Restoring snapshot',
      resources: instanceResources(name),
      run: async () => s.instances.restore(project, name, restore, lc(req)),
    });
    return operation(op);
  }
  const check = etagCheck(req);
  // The ETag is checked now, so a stale edit fails with 412 instead of a failed operation.
  const current = await s.instances.get(project, name);
  check(current.etag);
  const op = s.operations.start({
    project,
    description: 'Updating instance',
    resources: instanceResources(name),
    run: async () => s.instances.update(project, name, body, { patch: false, etag: check, lc: lc(req) }),
  });
  return operation(op);
}

async function post(req: ApiRequest, s: State) {
  const name = req.param('name');
  const body = await req.json<InstancePost>(shapes.instancePost);
  if (body.migration) throw ApiError.badRequest('Migration is not supported yet');
  if (body.pool || (body.project && body.project !== req.project)) throw ApiError.badRequest('Moving instances between pools or projects is not supported yet');
  if (!body.name) throw ApiError.badRequest('No name provided');
  await s.instances.view(req.project, name);
  if (await s.instances.names(req.project).then((n) => n.includes(body.name!))) throw ApiError.conflict(`Name "${body.name}" already in use`);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Renaming instance',
    resources: instanceResources(name),
    run: async () => s.instances.rename(project, name, body.name!, lc(req)),
  });
  return operation(op);
}

async function del(req: ApiRequest, s: State) {
  const name = req.param('name');
  await s.instances.view(req.project, name);
  const project = req.project;
  const op = s.operations.start({
    project,
    description: 'Deleting instance',
    resources: instanceResources(name),
    run: async () => s.instances.delete(project, name, lc(req)),
  });
  return operation(op);
}

/** PUT /1.0/instances: one state change for every instance of the project (`lxc start --all`). */
async function bulkState(req: ApiRequest, s: State) {
  const body = await req.json<{ state?: InstanceStatePut }>({ state: shapes.instanceStatePut });
  const st = body.state;
  if (!st?.action) throw ApiError.badRequest('No state provided');
  const project = req.project;
  const names = await s.instances.names(project);
  const op = s.operations.start({
    project,
    description: 'Updating instance states',
    resources: { instances: names.map((n) => `/1.0/instances/${seg(n)}`) },
    run: async () => {
      const put: InstanceStatePut = { action: st.action, timeout: st.timeout ?? -1, force: st.force ?? false, stateful: st.stateful ?? false };
      const failures: string[] = [];
      await Promise.all(
        names.map(async (n) => {
          const status = (await s.instances.get(project, n)).instance.status;
          // Instances already in the wanted state are skipped, as LXD does.
          if ((st.action === 'start' && status === 'Running') || (st.action === 'stop' && status === 'Stopped')) return;
          await s.instances.changeState(project, n, put, lc(req)).catch((e: Error) => failures.push(`${n}: ${e.message}`));
        }),
      );
      if (failures.length > 0) throw new Error(failures.join('; '));
    },
  });
  return operation(op);
}

export const instanceEndpoints: Endpoint[] = [
  {
    path: '/1.0/instances',
    get: { access: authenticated, handle: list },
    post: { access: authenticated, handle: create },
    put: { access: authenticated, handle: bulkState },
  },
  {
    path: '/1.0/instances/{name}',
    get: { access: authenticated, handle: get },
    put: { access: authenticated, handle: put },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<InstancePut>>(shapes.instancePut);
        await s.instances.update(req.project, req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: { access: authenticated, handle: post },
    delete: { access: authenticated, handle: del },
  },
];
