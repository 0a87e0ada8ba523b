// GET /1.0/resources: the host's hardware inventory (lxc info --resources).
import { authenticated } from '../http/access.js';
import { sync } from '../http/reply.js';
import type { Endpoint } from '../http/types.js';
import { readResources } from '../resources/index.js';

export const resourceEndpoints: Endpoint[] = [
  {
    path: '/1.0/resources',
    anyProject: true,
    get: { access: authenticated, handle: async () => sync(await readResources()) },
  },
];
