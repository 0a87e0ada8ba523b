// Listeners: the unix socket (always trusted); HTTPS lives in tls.ts. Both feed one ApiServer.
import { chmod, chown, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { ApiServer } from './server.js';
import { unixIdentity } from './identity.js';

export async function listenUnix(api: ApiServer, path: string, gid: number | undefined): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer({ keepAlive: true }, (req, res) => void api.handle(req, res, unixIdentity()));
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
