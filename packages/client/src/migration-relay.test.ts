// The relay of a copy in relay mode, between two fake servers' websocket operations on unix sockets: frames go both
// ways with their type, early frames wait for the other side, a missing channel is refused before anything opens.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { LodgeClient } from './client.js';
import { relayMigration } from './migration-relay.js';

interface Frame {
  data: Buffer;
  binary: boolean;
}

/** The server's end of one channel; its frames are queued from the connection on (the relay may speak at once). */
interface Channel {
  ws: WebSocket;
  next(): Promise<Frame>;
}

interface FakeServer {
  client: LodgeClient;
  /** Channel name → the server's end, once the client connected. */
  conns: Map<string, Promise<Channel>>;
  close(): Promise<void>;
}

function channel(ws: WebSocket): Channel {
  const queued: Frame[] = [];
  const waiting: ((f: Frame) => void)[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    const w = waiting.shift();
    if (w) w({ data, binary });
    else queued.push({ data, binary });
  });
  return {
    ws,
    next: () => {
      const f = queued.shift();
      return f ? Promise.resolve(f) : new Promise((r) => waiting.push(r));
    },
  };
}

interface FakeOptions {
  /** Called once a channel is connected (the source speaking first). */
  onConnect?: (ch: string, ws: WebSocket) => void;
  /** Milliseconds to hold each upgrade (a slow target, so that the source's first frames come before it). */
  slow?: number;
}

/** A server whose operation "op" offers channels by secret (the secret is the channel's name). */
async function fakeServer(dir: string, name: string, channels: string[], opts: FakeOptions = {}): Promise<FakeServer> {
  const wss = new WebSocketServer({ noServer: true });
  const resolvers = new Map<string, (c: Channel) => void>();
  const conns = new Map(channels.map((c) => [c, new Promise<Channel>((r) => resolvers.set(c, r))]));
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const secret = new URL(req.url ?? '', 'http://x').searchParams.get('secret') ?? '';
    if (!resolvers.has(secret)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    void sleep(opts.slow ?? 0).then(() =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        resolvers.get(secret)?.(channel(ws));
        opts.onConnect?.(secret, ws);
      }),
    );
  });
  const path = join(dir, `${name}.socket`);
  await new Promise<void>((r) => server.listen(path, r));
  return {
    client: LodgeClient.unix(path),
    conns,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => server.close(r));
    },
  };
}

const secrets = (names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, n]));

test('frames cross in both directions with their type; frames sent before the other side is open are kept', { timeout: 10_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-relay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The source speaks on control as soon as it is connected; the target answers the relay late, so the frame reaches
  // the relay before the target's end exists.
  const source = await fakeServer(dir, 'source', ['control', 'fs'], {
    onConnect: (ch, ws) => {
      if (ch === 'control') ws.send(Buffer.from([8, 0, 16, 2]));
    },
  });
  const target = await fakeServer(dir, 'target', ['control', 'fs'], { slow: 200 });
  t.after(() => Promise.all([source.close(), target.close()]));

  const relay = await relayMigration({ client: target.client, operation: 'op', secrets: secrets(['control', 'fs']) }, { client: source.client, operation: 'op', secrets: secrets(['control', 'fs']) });
  const [sControl, sFs, tControl, tFs] = await Promise.all([source.conns.get('control'), source.conns.get('fs'), target.conns.get('control'), target.conns.get('fs')]);
  assert.ok(sControl && sFs && tControl && tFs);
  const early = await tControl.next();
  assert.deepEqual([early.binary, [...early.data]], [true, [8, 0, 16, 2]]);

  tControl.ws.send(Buffer.from([8, 1]));
  const answer = await sControl.next();
  assert.deepEqual([answer.binary, [...answer.data]], [true, [8, 1]]);
  // fs: data as binary frames, then the empty text frame that ends a stream, in order.
  sFs.ws.send(Buffer.alloc(100_000, 7));
  sFs.ws.send('', { binary: false });
  const data = await tFs.next();
  const barrier = await tFs.next();
  assert.deepEqual(
    [data.binary, data.data.length, data.data.every((b) => b === 7), barrier.binary, barrier.data.length],
    [true, 100_000, true, false, 0],
  );

  // One side closing closes the other; once every channel is closed the relay is done.
  const closed = new Promise((r) => tControl.ws.once('close', r));
  sControl.ws.close();
  await closed;
  const fsClosed = new Promise((r) => sFs.ws.once('close', r));
  tFs.ws.close();
  await fsClosed;
  await relay.done;
  relay.close();
});

test('the target must not expect a channel the source does not offer, and needs control', async () => {
  const c = LodgeClient.unix('/nonexistent/socket');
  await assert.rejects(
    relayMigration({ client: c, operation: 'op', secrets: secrets(['control', 'fs', 'criu']) }, { client: c, operation: 'op', secrets: secrets(['control', 'fs']) }),
    /^Error: Migration target expects the "criu" socket but source isn't providing it$/,
  );
  await assert.rejects(relayMigration({ client: c, operation: 'op', secrets: { fs: 'x' } }, { client: c, operation: 'op', secrets: { fs: 'y' } }), /didn't setup the required "control" socket/);
});
