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
        const [project, name] = [req.param('project'), req.param('name')];
        // Answer at once: LXC's monitor waits for the hook, and the hook waits for us.
        if (target === 'reboot') {
          setImmediate(() => void s.instances.rebooted(project, name).catch((e: Error) => s.log.error('Failed to start a rebooted instance again', { instance: name, err: e.message })));
          throw ApiError.conflict('lodged starts the instance again itself');
        }
        setImmediate(() => void s.instances.stopped(project, name, target).catch((e: Error) => s.log.warn('Post-stop handling failed', { err: e.message })));
        return empty();
      },
    },
  },
];
