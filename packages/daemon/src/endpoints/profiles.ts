// Profile endpoints: list, create, get, replace, patch, rename, delete.
import type { ProfilePost, ProfilePut, ProfilesPost } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { created, empty, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { Endpoint } from '../http/types.js';
import { apiUrl, seg } from '../util/url.js';
import { etagCheck, lc, listReply } from './common.js';

export const profileEndpoints: Endpoint[] = [
  {
    path: '/1.0/profiles',
    get: {
      access: authenticated,
      handle: async (req, s) => listReply(req, await s.profiles.list(req.project), (p) => `/1.0/profiles/${seg(p.name)}`),
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<ProfilesPost>(shapes.profilesPost);
        await s.profiles.create(req.project, body, lc(req));
        return created(apiUrl(`/1.0/profiles/${seg(body.name)}`, req.project));
      },
    },
  },
  {
    path: '/1.0/profiles/{name}',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const { profile, etag } = await s.profiles.get(req.project, req.param('name'));
        return sync(profile, { etag });
      },
    },
    put: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ProfilePut>>(shapes.profilePut);
        await s.profiles.update(req.project, req.param('name'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ProfilePut>>(shapes.profilePut);
        await s.profiles.update(req.project, req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<ProfilePost>(shapes.namePost);
        await s.profiles.rename(req.project, req.param('name'), body.name, lc(req));
        return created(apiUrl(`/1.0/profiles/${seg(body.name)}`, req.project));
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        await s.profiles.delete(req.project, req.param('name'), lc(req));
        return empty();
      },
    },
  },
];
