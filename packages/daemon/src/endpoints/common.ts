// Helpers shared by endpoint files: lifecycle requestor, recursion lists, ETag wiring.
import type { LifecycleOptions } from '../events/hub.js';
import { requestorOf } from '../http/identity.js';
import type { Reply } from '../http/reply.js';
import { sync } from '../http/reply.js';
import type { ApiRequest } from '../http/types.js';
import { applyFilter } from '../http/filter.js';
import { apiUrl } from '../util/url.js';

export function lc(req: ApiRequest): LifecycleOptions {
  return { requestor: requestorOf(req.identity) };
}

/**
 * recursion=0 gives URLs, anything else the objects; ?filter= applies to the objects. The URLs carry the project
 * the objects live in (`project`, by default the request's).
 */
export function listReply<T>(req: ApiRequest, items: T[], urlOf: (item: T) => string, project = req.project): Reply {
  const filtered = applyFilter(items, req.query.get('filter'));
  if (req.recursion === 0) return sync(filtered.map((i) => apiUrl(urlOf(i), project)));
  return sync(filtered);
}

/** The If-Match check bound to a request, for services that compute the current ETag. */
export function etagCheck(req: ApiRequest): (current: string) => void {
  return (current) => req.checkEtag(current);
}
