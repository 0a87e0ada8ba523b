// ApiServer: routes HTTP requests and websocket upgrades to endpoint actions, renders replies and errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions } from 'ws';
import { ApiError, isApiError } from '@lodge/api';
import type { State } from '../state.js';
import type { Identity } from './identity.js';
import { errorBody, render } from './render.js';
import type { Reply } from './reply.js';
import { HttpApiRequest } from './request.js';
import { Router } from './router.js';
import type { Action, Endpoint, Method } from './types.js';
import { WsConn } from './websocket.js';

const methods: Record<string, Method> = { GET: 'get', HEAD: 'head', PUT: 'put', POST: 'post', PATCH: 'patch', DELETE: 'delete' };

export class ApiServer {
  private readonly router: Router;
  // A short close timeout: the Go client never closes the TCP side of a stdin stream after its close frame.
  private readonly wss = new WebSocketServer({ noServer: true, closeTimeout: 200, perMessageDeflate: false } as ServerOptions);

  constructor(
    private readonly state: State,
    endpoints: Endpoint[],
  ) {
    this.router = new Router(endpoints);
  }

  async handle(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    const isHead = req.method === 'HEAD';
    let reply: Reply;
    try {
      reply = await this.dispatch(req, identity);
    } catch (e) {
      reply = this.errorReply(e, req);
    }
    try {
      await render(res, reply, isHead);
    } catch (e) {
      this.state.log.debug('Response aborted', { url: req.url ?? '', err: (e as Error).message });
      res.destroy();
    }
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, identity: Identity): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.dispatch(req, identity);
    } catch (e) {
      reply = this.errorReply(e, req);
    }
    if (reply.kind !== 'upgrade') {
      const status = reply.kind === 'error' ? reply.status : 400;
      const body = errorBody(status, reply.kind === 'error' ? reply.message : 'Websocket upgrade not supported here');
      socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => reply.accept(new WsConn(ws)));
  }

  private async dispatch(req: IncomingMessage, identity: Identity): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://lodge');
    const match = this.router.match(url.pathname);
    if (!match) throw ApiError.notFound('not found');
    const method = methods[req.method ?? ''];
    const action: Action | undefined = method ? (match.endpoint[method] ?? (method === 'head' ? match.endpoint.get : undefined)) : undefined;
    if (!action) throw new ApiError(501, 'not implemented');
    const apiReq = new HttpApiRequest(req, identity, match.params, url);
    this.state.log.debug('Handling API request', {
      method: apiReq.method,
      url: req.url ?? '',
      protocol: identity.protocol,
      username: identity.username,
      ip: identity.address,
    });
    await action.access(apiReq, this.state);
    if (!match.endpoint.anyProject && url.searchParams.has('project')) await this.state.projects.must(apiReq.project);
    return action.handle(apiReq, this.state);
  }

  private errorReply(e: unknown, req: IncomingMessage): Reply {
    if (isApiError(e)) return { kind: 'error', status: e.status, message: e.message };
    this.state.log.error('Internal error while handling request', { url: req.url ?? '', err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return { kind: 'error', status: 500, message: e instanceof Error ? e.message : String(e) };
  }

  closeWebsockets(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }
}
