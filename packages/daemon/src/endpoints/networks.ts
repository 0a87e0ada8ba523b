// Network endpoints: list (managed and host interfaces), create, get, replace, patch, rename, delete, state, leases.
import type { NetworkPost, NetworkPut, NetworksPost } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { created, empty, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import type { Endpoint } from '../http/types.js';
import { seg } from '../util/url.js';
import { etagCheck, lc, listReply } from './common.js';

const networksPost: Shape = { name: 'string', type: 'string', description: 'string', config: 'stringMap' };
const networkPut: Shape = { description: 'string', config: 'stringMap' };
const networkPost: Shape = { name: 'string' };

export const networkEndpoints: Endpoint[] = [
  {
    path: '/1.0/networks',
    get: {
      access: authenticated,
      handle: async (req, s) => listReply(req, await s.networks.list(), (n) => `/1.0/networks/${seg(n.name)}`),
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<NetworksPost>(networksPost);
        await s.networks.create(body, lc(req));
        return created(`/1.0/networks/${seg(body.name)}`);
      },
    },
  },
  {
    path: '/1.0/networks/{name}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { network, etag } = await s.networks.get(req.param('name'));
        return sync(network, { etag });
      },
    },
    put: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<NetworkPut>>(networkPut);
        await s.networks.update(req.param('name'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<NetworkPut>>(networkPut);
        await s.networks.update(req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<NetworkPost>(networkPost);
        await s.networks.rename(req.param('name'), body.name, lc(req));
        return created(`/1.0/networks/${seg(body.name)}`);
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        await s.networks.delete(req.param('name'), lc(req));
        return empty();
      },
    },
  },
  {
    path: '/1.0/networks/{name}/state',
    get: { access: authenticated, handle: async (req, s) => sync(await s.networks.state(req.param('name'))) },
  },
  {
    path: '/1.0/networks/{name}/leases',
    get: { access: authenticated, handle: async (req, s) => sync(await s.networks.leases(req.param('name'), req.project)) },
  },
];
