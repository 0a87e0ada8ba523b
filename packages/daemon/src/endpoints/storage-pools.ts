// Storage pool endpoints: list, create, get, update, delete, resources, and the volumes of a pool (read side).
import type { StoragePoolPut, StoragePoolsPost } from '@lodge/api';
import { admin, authenticated } from '../http/access.js';
import { applyFilter } from '../http/filter.js';
import { created, empty, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { State } from '../state.js';
import { poolVolume, poolVolumes } from '../storage/volumes.js';
import { apiUrl, seg } from '../util/url.js';
import { etagCheck, lc } from './common.js';

const poolsPost: Shape = { name: 'string', driver: 'string', description: 'string', config: 'stringMap' };
const poolPut: Shape = { description: 'string', config: 'stringMap' };

async function volumes(req: ApiRequest, s: State, type?: string) {
  const pool = req.param('name');
  const all = req.query.get('all-projects') === 'true';
  const list = (await poolVolumes(s.store, s.pools, pool)).filter((v) => (type === undefined || v.type === type) && (all || v.type === 'image' || v.project === req.project));
  const filtered = applyFilter(list, req.query.get('filter'));
  const url = (v: { type: string; name: string; project: string }) => apiUrl(`/1.0/storage-pools/${seg(pool)}/volumes/${v.type}/${seg(v.name)}`, v.type === 'image' ? 'default' : v.project);
  return sync(req.recursion > 0 ? filtered : filtered.map(url));
}

export const storagePoolEndpoints: Endpoint[] = [
  {
    path: '/1.0/storage-pools',
    anyProject: true,
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const pools = applyFilter(await s.pools.list(), req.query.get('filter'));
        return sync(req.recursion > 0 ? pools : pools.map((p) => `/1.0/storage-pools/${seg(p.name)}`));
      },
    },
    post: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<StoragePoolsPost>(poolsPost);
        await s.poolAdmin.create(body, lc(req));
        return created(`/1.0/storage-pools/${seg(body.name)}`);
      },
    },
  },
  {
    path: '/1.0/storage-pools/{name}',
    anyProject: true,
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { pool, etag } = await s.pools.get(req.param('name'));
        return sync(pool, { etag });
      },
    },
    put: {
      access: admin,
      handle: async (req, s) => {
        await s.poolAdmin.update(req.param('name'), await req.json<Partial<StoragePoolPut>>(poolPut), { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: admin,
      handle: async (req, s) => {
        await s.poolAdmin.update(req.param('name'), await req.json<Partial<StoragePoolPut>>(poolPut), { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    delete: {
      access: admin,
      handle: async (req, s) => {
        await s.poolAdmin.delete(req.param('name'), lc(req));
        return empty();
      },
    },
  },
  {
    path: '/1.0/storage-pools/{name}/resources',
    anyProject: true,
    get: { access: authenticated, handle: async (req, s) => sync(await s.pools.resources(req.param('name'))) },
  },
  {
    path: '/1.0/storage-pools/{name}/volumes',
    get: { access: authenticated, handle: (req, s) => volumes(req, s) },
  },
  {
    path: '/1.0/storage-pools/{name}/volumes/{type}',
    get: { access: authenticated, handle: (req, s) => volumes(req, s, req.param('type') === 'virtual-machine' ? 'none' : req.param('type')) },
  },
  {
    path: '/1.0/storage-pools/{name}/volumes/{type}/{volume}',
    get: { access: authenticated, handle: async (req, s) => sync(await poolVolume(s.store, s.pools, req.param('name'), req.param('type'), req.param('volume'), req.project)) },
  },
];
