// GET /1.0/events: the websocket event stream, filtered by type and project.
import { ApiError, eventTypes, type Event, type EventType, type Operation } from '@lodge/api';
import { authenticated } from '../http/access.js';
import { upgrade } from '../http/reply.js';
import type { Endpoint } from '../http/types.js';

export const eventEndpoints: Endpoint[] = [
  {
    path: '/1.0/events',
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const requested = (req.query.get('type') ?? '').split(',').filter((t) => t !== '');
        for (const t of requested) if (!eventTypes.includes(t as EventType)) throw ApiError.badRequest(`"${t}" isn't a supported event type`);
        const types = new Set<EventType>(requested.length > 0 ? (requested as EventType[]) : eventTypes);
        if (types.has('logging') && req.identity.projects) {
          if (requested.includes('logging')) throw ApiError.forbidden();
          types.delete('logging');
        }
        const allProjects = req.query.get('all-projects') === 'true';
        // Token operations carry trust secrets: restricted callers never see them.
        const hidden = (e: Event): boolean => !!req.identity.projects && e.type === 'operation' && (e.metadata as Operation).class === 'token';
        if (!req.isUpgrade) throw ApiError.badRequest('This endpoint needs a websocket upgrade');
        return upgrade((conn) => {
          const unsubscribe = s.events.subscribe({
            types,
            project: req.project,
            allProjects,
            send: (e) => {
              if (!hidden(e)) void conn.sendText(`${JSON.stringify(e)}\n`);
            },
          });
          conn.onMessage(() => undefined);
          conn.onClose(unsubscribe);
          conn.keepAlive(10_000);
        });
      },
    },
  },
];
