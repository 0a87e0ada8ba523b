// Network endpoints: list (managed and host interfaces), create, get, replace, patch, rename, delete, state, leases.
import type { NetworkPost, NetworkPut, NetworksPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { created, empty, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import { localMember } from '../network/service.js';
import { seg } from '../util/url.js';
import { etagCheck, lc, listReply } from './common.js';

const networksPost: Shape = { name: 'string', type: 'string', description: 'string', config: 'stringMap' };
const networkPut: Shape = { description: 'string', config: 'stringMap' };
const networkPost: Shape = { name: 'string' };

/**
 * LXD forwards a request naming another cluster member before anything else; lodge is never clustered, so any member
 * but itself ("none") is unknown. LXD does this for GET, PUT and PATCH of a network and its state, and while creating
 * one; it ignores ?target= on the list, the leases, rename and delete, and so does lodge.
 */
function refuseOtherMember(req: ApiRequest): void {
  const target = req.query.get('target');
  if (target && target !== localMember) throw ApiError.notFound('Cluster member not found');
}

export const networkEndpoints: Endpoint[] = [
  {
    path: '/1.0/networks',
    get: {
      access: authenticated,
      // Every network a list can show is the default project's, and LXD's URLs say so (no ?project=).
      handle: async (req, s) => listReply(req, await s.networks.list(req.project), (n) => `/1.0/networks/${seg(n.name)}`, 'default'),
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<NetworksPost>(networksPost);
        // The target is checked by the service, after the name and type, where LXD checks it.
        await s.networks.create(req.project, body, { lc: lc(req), target: req.query.get('target') ?? undefined });
        return created(`/1.0/networks/${seg(body.name)}`);
      },
    },
  },
  {
    path: '/1.0/networks/{name}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        refuseOtherMember(req);
        const { network, etag } = await s.networks.get(req.project, req.param('name'));
        return sync(network, { etag });
      },
    },
    put: {
      access: authenticated,
      handle: async (req, s) => {
        refuseOtherMember(req);
        const body = await req.json<Partial<NetworkPut>>(networkPut);
        await s.networks.update(req.project, req.param('name'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        refuseOtherMember(req);
        const body = await req.json<Partial<NetworkPut>>(networkPut);
        await s.networks.update(req.project, req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<NetworkPost>(networkPost);
        await s.networks.rename(req.project, req.param('name'), body.name, lc(req));
        return created(`/1.0/networks/${seg(body.name)}`);
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        await s.networks.delete(req.project, req.param('name'), lc(req));
        return empty();
      },
    },
  },
  {
    path: '/1.0/networks/{name}/state',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        refuseOtherMember(req);
        return sync(await s.networks.state(req.project, req.param('name')));
      },
    },
  },
  {
    path: '/1.0/networks/{name}/leases',
    get: { access: authenticated, handle: async (req, s) => sync(await s.networks.leases(req.project, req.param('name'))) },
  },
];
