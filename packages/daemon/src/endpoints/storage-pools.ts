// Storage pool endpoints (read side for now): list, get, resources.
import { authenticated } from '../http/access.js';
import { sync } from '../http/reply.js';
import type { Endpoint } from '../http/types.js';
import { seg } from '../util/url.js';
import { applyFilter } from '../http/filter.js';

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
  },
  {
    path: '/1.0/storage-pools/{name}/resources',
    anyProject: true,
    get: { access: authenticated, handle: async (req, s) => sync(await s.pools.resources(req.param('name'))) },
  },
];
