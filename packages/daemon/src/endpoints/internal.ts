// Internal endpoints for LXC hooks (local socket only): a container stopped or rebooted on its own.
import { ApiError } from '@lodge/api';
import { localOnly } from '../http/access.js';
import { empty } from '../http/reply.js';
import type { Endpoint } from '../http/types.js';

export const internalEndpoints: Endpoint[] = [
  {
    path: '/internal/instances/{project}/{name}/stopped',
    anyProject: true,
    put: {
      access: localOnly,
      handle: async (req, s) => {
        const target = req.query.get('target') === 'reboot' ? 'reboot' : 'stop';
        if (!req.param('project') || !req.param('name')) throw ApiError.badRequest('Missing instance');
        // Answer at once: LXC's monitor waits for the hook, and the hook waits for us.
        setImmediate(() => {
          s.instances.stopped(req.param('project'), req.param('name'), target).catch((e: Error) => s.log.warn('Post-stop handling failed', { err: e.message }));
        });
        return empty();
      },
    },
  },
];
