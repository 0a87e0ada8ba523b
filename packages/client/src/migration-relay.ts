// Relay mode of a copy between servers (lxc's proxyMigration): the client opens every migration channel on both
// servers' websocket operations and copies frames both ways, keeping their type (binary data, empty text barriers).
import { WebSocket, type RawData } from 'ws';
import type { LodgeClient } from './client.js';

export interface MigrationEnd {
  client: LodgeClient;
  /** The websocket operation's id. */
  operation: string;
  /** Channel name (control, fs, criu) → secret, from the operation's metadata. */
  secrets: Record<string, string>;
}

/** Above this many bytes queued toward one side, reading from the other side pauses (a 200 MB rsync must not sit in memory). */
const highWater = 8 * 1024 * 1024;
const lowWater = 1024 * 1024;

/** Frames that arrive before the other side of their channel is open wait here. */
interface Leg {
  ws: WebSocket;
  peer?: WebSocket;
  early: { data: RawData; binary: boolean }[];
}

function open(end: MigrationEnd, secret: string, legs: Leg[]): Promise<Leg> {
  const path = end.client.url(`/1.0/operations/${encodeURIComponent(end.operation)}/websocket?secret=${encodeURIComponent(secret)}`);
  return end.client.transport
    .websocket(path, (ws) => {
      // Listening from creation: the server may speak before the other side of the channel is connected.
      const leg: Leg = { ws, early: [] };
      legs.push(leg);
      ws.on('message', (data: RawData, binary: boolean) => forward(leg, data, binary));
    })
    .then((ws) => legs.find((l) => l.ws === ws)!);
}

function forward(leg: Leg, data: RawData, binary: boolean): void {
  const to = leg.peer;
  if (!to) {
    leg.early.push({ data, binary });
    return;
  }
  if (to.readyState !== WebSocket.OPEN) return;
  to.send(data, { binary }, () => {
    if (leg.ws.isPaused && to.bufferedAmount < lowWater) leg.ws.resume();
  });
  if (to.bufferedAmount > highWater && !leg.ws.isPaused) leg.ws.pause();
}

/** Either side ending ends both (as shared.WebsocketProxy does); queued frames still go out before the close frame. */
function pair(a: Leg, b: Leg): Promise<void> {
  a.peer = b.ws;
  b.peer = a.ws;
  for (const l of [a, b]) for (const f of l.early.splice(0)) forward(l, f.data, f.binary);
  return new Promise((resolve) => {
    let ended = false;
    const end = (): void => {
      if (!ended) {
        ended = true;
        resolve();
      }
      for (const l of [a, b]) {
        if (l.ws.isPaused) l.ws.resume();
        if (l.ws.readyState === WebSocket.OPEN) l.ws.close();
      }
    };
    for (const l of [a, b]) {
      l.ws.once('close', end);
      l.ws.once('error', end);
    }
  });
}

export interface MigrationRelay {
  /** Resolves once every channel has closed. */
  done: Promise<void>;
  /** Drops every channel still open (the transfer is over or failed). */
  close(): void;
}

/**
 * Connects the target's channels to the source's. Like lxc: the target must not expect a channel the source does not
 * offer, control is connected first, and a data channel that cannot be connected ends the connecting silently (the
 * daemons then fail the transfer).
 */
export async function relayMigration(target: MigrationEnd, source: MigrationEnd): Promise<MigrationRelay> {
  for (const n of Object.keys(target.secrets)) {
    if (!(n in source.secrets)) throw new Error(`Migration target expects the "${n}" socket but source isn't providing it`);
  }
  const controlSecret = target.secrets.control;
  if (!controlSecret) throw new Error('Migration target didn\'t setup the required "control" socket');
  const legs: Leg[] = [];
  const close = (): void => {
    for (const l of legs) if (l.ws.readyState !== WebSocket.CLOSED) l.ws.terminate();
  };
  const pairs: Promise<void>[] = [];
  try {
    const s = await open(source, source.secrets.control ?? '', legs);
    const t = await open(target, controlSecret, legs);
    pairs.push(pair(s, t));
  } catch (e) {
    close();
    throw e;
  }
  const order = (n: string): number => ['fs', 'criu'].indexOf(n) >>> 0;
  for (const name of Object.keys(source.secrets).filter((n) => n !== 'control').sort((a, b) => order(a) - order(b))) {
    try {
      const s = await open(source, source.secrets[name] ?? '', legs);
      const t = await open(target, target.secrets[name] ?? '', legs);
      pairs.push(pair(s, t));
    } catch {
      break;
    }
  }
  return { done: Promise.all(pairs).then(() => undefined), close };
}
