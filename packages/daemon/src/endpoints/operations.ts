// Operation endpoints: list, get, cancel, wait, and websocket attach by secret.
import { ApiError, statusName } from '@lodge/api';
import { authenticated, untrusted } from '../http/access.js';
import { empty, sync, upgrade } from '../http/reply.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { Operation } from '../operations/operation.js';
import type { State } from '../state.js';
import { lc } from './common.js';

/** Token operations carry trust secrets: only unrestricted callers see them. */
function mayView(req: ApiRequest, op: Operation): boolean {
  return op.class !== 'token' || !req.identity.projects;
}

function visible(req: ApiRequest, s: State): Operation[] {
  const all = req.query.get('all-projects') === 'true';
  return s.operations.list(all ? undefined : req.project).filter((op) => mayView(req, op));
}

function viewable(req: ApiRequest, s: State): Operation {
  const op = s.operations.get(req.param('id'));
  if (!mayView(req, op)) throw ApiError.notFound('Operation not found');
  return op;
}

/** Untrusted callers may reach an operation only with its secret. */
function secretMatches(op: Operation, secret: string | null): boolean {
  if (!secret) return false;
  const md = op.metadata ?? {};
  if (md.secret === secret) return true;
  const fds = md.fds as Record<string, string> | undefined;
  return Object.values(fds ?? {}).includes(secret) || Object.values(md).includes(secret);
}

export const operationEndpoints: Endpoint[] = [
  {
    path: '/1.0/operations',
    anyProject: true,
    get: {
      access: authenticated,
      handle: async (req, s) => {
        const groups: Record<string, unknown[]> = {};
        for (const op of visible(req, s)) {
          const key = statusName(op.status).toLowerCase();
          (groups[key] ??= []).push(req.recursion > 0 ? op.toApi() : op.url);
        }
        return sync(groups);
      },
    },
  },
  {
    path: '/1.0/operations/{id}',
    anyProject: true,
    get: { access: authenticated, handle: async (req, s) => sync(viewable(req, s).toApi()) },
    delete: {
      access: authenticated,
      handle: async (req, s) => {
        const op = viewable(req, s);
        await op.cancel();
        s.events.lifecycle(op.project ?? 'default', 'operation-cancelled', op.url, lc(req));
        return empty();
      },
    },
  },
  {
    path: '/1.0/operations/{id}/wait',
    anyProject: true,
    get: {
      access: untrusted,
      handle: async (req, s) => {
        const op = s.operations.get(req.param('id'));
        if (!req.identity.trusted && !secretMatches(op, req.query.get('secret'))) throw ApiError.forbidden();
        const timeout = Number(req.query.get('timeout') ?? '-1');
        if (Number.isNaN(timeout)) throw ApiError.badRequest('Invalid timeout');
        await op.wait(timeout < 0 ? -1 : timeout * 1000);
        return sync(op.toApi());
      },
    },
  },
  {
    path: '/1.0/operations/{id}/websocket',
    anyProject: true,
    get: {
      access: untrusted,
      handle: async (req, s) => {
        const op = s.operations.get(req.param('id'));
        const secret = req.query.get('secret');
        if (!secret) throw ApiError.badRequest('missing secret');
        if (op.class !== 'websocket' || op.final) throw ApiError.badRequest('Operation is not a running websocket operation');
        if (!req.isUpgrade) throw ApiError.badRequest('This endpoint needs a websocket upgrade');
        return upgrade((conn) => {
          op.connect(secret, conn).catch((e: Error) => {
            s.log.debug('Websocket connection refused', { operation: op.id, err: e.message });
            conn.close(1008, e.message.slice(0, 120));
          });
        });
      },
    },
  },
];
