// Server endpoints: "/", GET/PUT/PATCH /1.0, and the internal shutdown used by `lodged shutdown`.
import type { ServerPut } from '@lodge/api';
import { admin, localOnly, untrusted } from '../http/access.js';
import { empty, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { Endpoint } from '../http/types.js';
import { etagCheck, lc } from './common.js';

export const serverEndpoints: Endpoint[] = [
  {
    path: '/',
    get: { access: untrusted, handle: async () => sync(['/1.0']) },
  },
  {
    path: '/1.0',
    anyProject: true,
    get: {
      access: untrusted,
      handle: async (req, s) => {
        if (!req.identity.trusted) return sync(s.server.untrusted());
        const { server, etag } = await s.server.info(req.project);
        // Only admins see the server configuration (restricted certificates get an empty map).
        if (req.identity.projects) server.config = {};
        return sync(server, { etag });
      },
    },
    put: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<Partial<ServerPut>>(shapes.serverPut);
        await s.server.update(body.config, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<Partial<ServerPut>>(shapes.serverPut);
        await s.server.update(body.config, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
  },
  {
    path: '/internal/shutdown',
    put: {
      access: localOnly,
      handle: async (_req, s) => {
        s.requestShutdown();
        return empty();
      },
    },
  },
];
