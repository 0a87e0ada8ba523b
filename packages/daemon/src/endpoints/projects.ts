// Project endpoints: list, create, get, replace, patch, rename (async), delete, state.
import type { ProjectPost, ProjectPut, ProjectsPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { admin, projectParam, trusted } from '../http/access.js';
import { created, empty, operation, sync } from '../http/reply.js';
import * as shapes from '../http/shapes.js';
import type { Endpoint } from '../http/types.js';
import { seg } from '../util/url.js';
import { etagCheck, lc } from './common.js';
import { projectState } from '../projects/state.js';
import { applyFilter } from '../http/filter.js';

export const projectEndpoints: Endpoint[] = [
  {
    path: '/1.0/projects',
    anyProject: true,
    get: {
      // Restricted certificates see their own projects only (filtered below), whatever ?project= says.
      access: trusted,
      handle: async (req, s) => {
        let projects = applyFilter(await s.projects.list(), req.query.get('filter'));
        const allowed = req.identity.projects;
        if (allowed) projects = projects.filter((p) => allowed.includes(p.name));
        return sync(req.recursion > 0 ? projects : projects.map((p) => `/1.0/projects/${seg(p.name)}`));
      },
    },
    post: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<ProjectsPost>(shapes.projectsPost);
        await s.projects.create(body, lc(req));
        return created(`/1.0/projects/${seg(body.name)}`);
      },
    },
  },
  {
    path: '/1.0/projects/{name}/state',
    anyProject: true,
    get: { access: projectParam('name'), handle: async (req, s) => sync(await s.store.read((tx) => projectState(tx, req.param('name')))) },
  },
  {
    path: '/1.0/projects/{name}',
    anyProject: true,
    get: {
      access: projectParam('name'),
      handle: async (req, s) => {
        const { project, etag } = await s.projects.get(req.param('name'));
        return sync(project, { etag });
      },
    },
    put: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<Partial<ProjectPut>>(shapes.projectPut);
        await s.projects.update(req.param('name'), body, { patch: false, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    patch: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<Partial<ProjectPut>>(shapes.projectPut);
        await s.projects.update(req.param('name'), body, { patch: true, etag: etagCheck(req), lc: lc(req) });
        return empty();
      },
    },
    post: {
      access: admin,
      handle: async (req, s) => {
        const body = await req.json<ProjectPost>(shapes.namePost);
        const name = req.param('name');
        await s.projects.must(name);
        if (name === 'default') throw ApiError.forbidden("The 'default' project cannot be renamed");
        const op = s.operations.start({
          project: undefined,
          description: 'Renaming project',
          resources: null,
          run: async () => s.projects.rename(name, body.name, lc(req)),
        });
        return operation(op);
      },
    },
    delete: {
      access: admin,
      handle: async (req, s) => {
        await s.projects.delete(req.param('name'), lc(req));
        return empty();
      },
    },
  },
];
