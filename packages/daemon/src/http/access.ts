// Access rules for endpoints: who may call what.
import { ApiError } from '@lodge/api';
import type { ApiRequest, Access } from './types.js';

/**
 * Anyone, trusted or not (GET /1.0, public images, operation secrets, adding trust). A client that
 * says it expects to be authenticated (X-LXD-authenticated) and is not gets 403, as in LXD.
 */
export const untrusted: Access = (req) => {
  if (!req.identity.trusted && req.headers['x-lxd-authenticated']) throw ApiError.forbidden();
};

/** Any trusted caller, restricted or not, whatever the project (LXD's allowAuthenticated). */
export const trusted: Access = (req) => {
  if (!req.identity.trusted) throw ApiError.forbidden();
};

/** Trusted callers; restricted certificates only within their projects (and never across all projects). */
export const authenticated: Access = (req) => {
  if (!req.identity.trusted) throw ApiError.forbidden();
  const allowed = req.identity.projects;
  if (allowed && (!allowed.includes(req.project) || req.query.get('all-projects') === 'true')) throw ApiError.forbidden();
};

/** Trusted callers allowed into the project named by a route parameter (GET /1.0/projects/{name}). */
export function projectParam(param: string): Access {
  return (req) => {
    if (!req.identity.trusted) throw ApiError.forbidden();
    const allowed = req.identity.projects;
    if (allowed && !allowed.includes(req.param(param))) throw ApiError.forbidden();
  };
}

/** Trusted and unrestricted callers only (server config, projects, certificates). */
export const admin: Access = (req) => {
  if (!req.identity.trusted || req.identity.projects) throw ApiError.forbidden();
};

/** Only over the local unix socket (internal endpoints such as shutdown). */
export const localOnly: Access = (req) => {
  if (req.identity.protocol !== 'unix') throw ApiError.forbidden();
};

/** True when the caller may use the project fully (trusted, and the project is one of a restricted certificate's). */
export function mayUseProject(req: ApiRequest): boolean {
  const allowed = req.identity.projects;
  return req.identity.trusted && (!allowed || allowed.includes(req.project));
}
