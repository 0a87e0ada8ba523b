// Access rules for endpoints: who may call what.
import { ApiError } from '@lodge/api';
import type { Access } from './types.js';

/** Anyone, trusted or not (GET /1.0, public images, operation secrets). */
export const untrusted: Access = () => undefined;

/** Trusted callers; restricted certificates only within their projects. */
export const authenticated: Access = (req) => {
  if (!req.identity.trusted) throw ApiError.forbidden();
  const allowed = req.identity.projects;
  if (allowed && !allowed.includes(req.project)) throw ApiError.forbidden();
};

/** Trusted and unrestricted callers only (server config, projects, certificates). */
export const admin: Access = (req) => {
  if (!req.identity.trusted || req.identity.projects) throw ApiError.forbidden();
};

/** Only over the local unix socket (internal endpoints such as shutdown). */
export const localOnly: Access = (req) => {
  if (req.identity.protocol !== 'unix') throw ApiError.forbidden();
};
