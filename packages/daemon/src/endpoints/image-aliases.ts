// Image alias endpoints: list, create, get, replace, patch, rename, delete.
import type { ImageAliasesEntry, ImageAliasesEntryPost, ImageAliasesEntryPut } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { authenticated, mayUseProject, untrusted } from '../http/access.js';
import { created, empty, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { Endpoint } from '../http/types.js';
import { seg } from '../util/url.js';
import { etagCheck, lc, listReply } from './common.js';

export const imageAliasEndpoints: Endpoint[] = [
  {
    path: '/1.0/images/aliases',
    get: {
      access: authenticated,
      handle: async (req, s) => listReply(req, await s.aliases.list(req.project), (a) => `/1.0/images/aliases/${seg(a.name)}`),
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<ImageAliasesEntry>(shapes.aliasesPost);
        const name = await s.aliases.create(req.project, body, lc(req));
        return created(`/1.0/images/aliases/${seg(name)}`);
      },
    },
  },
  {
    path: '/1.0/images/aliases/{name}',
    get: {
      // Untrusted callers may resolve aliases of public images only.
      access: untrusted,
      handle: async (req, s) => {
        const { alias, etag } = await s.aliases.get(req.project, req.param('name'));
        if (!mayUseProject(req) && !(await s.images.get(req.project, alias.target)).image.public) throw ApiError.notFound('Image alias not found');
        return sync(alias, { etag });
      },
    },
    put: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ImageAliasesEntryPut>>(shapes.aliasPut);
        await s.aliases.update(req.project, req.param('name'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<Partial<ImageAliasesEntryPut>>(shapes.aliasPut);
        await s.aliases.update(req.project, req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: {
      access: authenticated,
      handle: async (req, s) => {
        const body = await req.json<ImageAliasesEntryPost>(shapes.namePost);
        await s.aliases.rename(req.project, req.param('name'), body.name, lc(req));
        return created(`/1.0/images/aliases/${seg(body.name)}`);
      },
    },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        await s.aliases.delete(req.project, req.param('name'), lc(req));
        return empty();
      },
    },
  },
];
