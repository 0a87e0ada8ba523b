// Listeners: the unix socket (always trusted); HTTPS lives in tls.ts. Both feed one ApiServer.
import { chmod, chown, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiServer } from './server.js';
import { unixIdentity } from './identity.js';

const sockets = new WeakMap<Server, Set<Socket>>();

/**
 * Stops accepting and ends every connection: idle ones now, busy ones after graceMs. server.close() alone waits
 * for every connection to end, which an event stream or an exec session never does on its own.
 */
export async function closeListener(server: Server, graceMs = 5_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    for (const socket of sockets.get(server) ?? []) socket.destroy();
  }, graceMs);
  await closed;
  clearTimeout(timer);
}

export async function listenUnix(api: ApiServer, path: string, gid: number | undefined): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer({ keepAlive: true }, (req, res) => void api.handle(req, res, unixIdentity()));
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  sockets.set(server, open);
  server.on('upgrade', (req, socket, head) => void api.upgrade(req, socket, head, unixIdentity()));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o660);
  if (gid !== undefined) await chown(path, 0, gid);
  return server;
}
