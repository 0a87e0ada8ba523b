// The client side of exec and console websockets: binary frames carry data, an empty text frame ends a stream,
// control carries JSON (window-resize, signal). The exit code comes from the final operation's metadata.return.
import type { InstanceConsolePost, InstanceExecControl, InstanceExecPost, Operation } from '@lodge/api';
import type { WebSocket } from 'ws';
import type { LodgeClient } from './client.js';
import type { RemoteOperation } from './operation.js';

export interface Input {
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  off(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  off(event: 'end', fn: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface Output {
  write(chunk: Buffer): unknown;
}

/** The control websocket of an exec or console session. */
export class ControlChannel {
  constructor(private readonly ws: WebSocket) {}

  private send(msg: InstanceExecControl): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  resize(width: number, height: number): void {
    this.send({ command: 'window-resize', args: { width: String(width), height: String(height) } });
  }

  signal(signal: number): void {
    this.send({ command: 'signal', signal });
  }

  /** A normal close (1000); on a console this detaches, on a running exec the daemon kills the command. */
  close(reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000, reason);
  }
}

export interface SessionIo {
  /** Data for fd 0; its end is sent as the empty text frame. */
  stdin?: Input;
  stdout: Output;
  /** Non-interactive exec only. */
  stderr?: Output;
  /** Called once control is connected; may return a cleanup run when the session ends. */
  control?: (ctl: ControlChannel) => (() => void) | void;
  /** Filters stdin before it is sent (console's ctrl-a q); returning null drops the chunk. */
  filter?: (chunk: Buffer) => Buffer | null;
}

export interface ExecResult {
  operation: Operation;
  /** metadata.return (the command's exit status), -1 when absent. */
  exitCode: number;
}

function socketPath(client: LodgeClient, opId: string, secret: string): string {
  return client.url(`/1.0/operations/${encodeURIComponent(opId)}/websocket?secret=${encodeURIComponent(secret)}`);
}

/** Resolves when the stream delivered its end: the empty text frame, a close, or an error. */
function receive(ws: WebSocket, out: Output | undefined, onBarrier?: () => void): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    ws.on('message', (data, isBinary) => {
      if (done) return;
      if (!isBinary) {
        onBarrier?.();
        finish();
        return;
      }
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      out?.write(buf);
    });
    ws.on('close', finish);
    ws.on('error', finish);
  });
}

/** Copies input to a websocket as binary frames, the end as an empty text frame; returns a stopper. */
function send(ws: WebSocket, input: Input | undefined, filter?: (chunk: Buffer) => Buffer | null): () => void {
  if (!input) return () => undefined;
  const onData = (chunk: Buffer | string): void => {
    let buf: Buffer | null = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (filter) buf = filter(buf);
    if (!buf || buf.length === 0 || ws.readyState !== ws.OPEN) return;
    ws.send(buf, { binary: true });
    if (ws.bufferedAmount > 1 << 20) {
      input.pause();
      const drain = (): void => {
        if (ws.bufferedAmount > 1 << 18 && ws.readyState === ws.OPEN) setTimeout(drain, 5);
        else input.resume();
      };
      setTimeout(drain, 5);
    }
  };
  const onEnd = (): void => {
    if (ws.readyState === ws.OPEN) ws.send('', { binary: false });
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();
  return () => {
    input.off('data', onData);
    input.off('end', onEnd);
    input.pause();
  };
}

function closeQuietly(ws: WebSocket | undefined): void {
  if (!ws) return;
  ws.on('error', () => undefined);
  if (ws.readyState === ws.OPEN) ws.close(1000);
  else if (ws.readyState === ws.CONNECTING) ws.terminate();
}

async function connectAll(client: LodgeClient, op: RemoteOperation, names: string[]): Promise<Map<string, WebSocket>> {
  const fds = ((op.operation.metadata ?? {}) as { fds?: Record<string, string> }).fds ?? {};
  const out = new Map<string, WebSocket>();
  try {
    for (const n of names) {
      const secret = fds[n];
      if (!secret) {
        if (n === 'control') throw new Error('Did not receive a file descriptor for the control channel');
        throw new Error(`Did not receive a file descriptor for fd ${n}`);
      }
      out.set(n, await client.transport.websocket(socketPath(client, op.id, secret)));
    }
  } catch (e) {
    for (const ws of out.values()) closeQuietly(ws);
    throw e;
  }
  return out;
}

/**
 * Runs a command in an instance (POST /exec with wait-for-websocket) and mirrors its streams.
 * Connects control, then 0, then 1 and 2 (non-interactive), as the Go client does.
 */
export async function execInstance(client: LodgeClient, name: string, req: InstanceExecPost, io: SessionIo): Promise<ExecResult> {
  const body: InstanceExecPost = { ...req, 'wait-for-websocket': true };
  const op = await client.operation('POST', `/1.0/instances/${encodeURIComponent(name)}/exec`, body);
  const interactive = body.interactive === true;
  const sockets = await connectAll(client, op, interactive ? ['control', '0'] : ['control', '0', '1', '2']);
  const control = sockets.get('control')!;
  const fd0 = sockets.get('0')!;
  control.on('error', () => undefined);
  const cleanupControl = io.control?.(new ControlChannel(control));
  const stopInput = send(fd0, io.stdin, io.filter);
  let outputs: Promise<void>[];
  if (interactive) {
    // The daemon sends the barrier when the command exits but leaves fd 0 open: close it, as lxc does.
    outputs = [receive(fd0, io.stdout, () => closeQuietly(fd0))];
  } else {
    fd0.on('message', () => undefined);
    fd0.on('error', () => undefined);
    outputs = [receive(sockets.get('1')!, io.stdout), receive(sockets.get('2')!, io.stderr)];
  }
  try {
    const final = await op.wait();
    await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, 5000).unref())]);
    const ret = (final.metadata as { return?: unknown } | null)?.return;
    return { operation: final, exitCode: typeof ret === 'number' ? ret : -1 };
  } finally {
    stopInput();
    cleanupControl?.();
    for (const ws of sockets.values()) closeQuietly(ws);
  }
}

export interface ConsoleSession {
  /** Ends the session (detach): control is closed with a normal close. */
  detach(): void;
  /** Resolves when the console operation ends. */
  done: Promise<Operation>;
}

/** Attaches to an instance console (POST /console): fd 0 both ways, control for resizes and detaching. */
export async function consoleInstance(client: LodgeClient, name: string, req: InstanceConsolePost, io: SessionIo): Promise<ConsoleSession> {
  const op = await client.operation('POST', `/1.0/instances/${encodeURIComponent(name)}/console`, { type: 'console', ...req });
  const sockets = await connectAll(client, op, ['control', '0']);
  const control = sockets.get('control')!;
  const fd0 = sockets.get('0')!;
  control.on('error', () => undefined);
  const channel = new ControlChannel(control);
  const cleanupControl = io.control?.(channel);
  const stopInput = send(fd0, io.stdin, io.filter);
  const output = receive(fd0, io.stdout);
  const done = (async () => {
    try {
      const final = await op.wait();
      await Promise.race([output, new Promise((r) => setTimeout(r, 2000).unref())]);
      return final;
    } finally {
      stopInput();
      cleanupControl?.();
      for (const ws of sockets.values()) closeQuietly(ws);
    }
  })();
  done.catch(() => undefined);
  return { detach: () => channel.close('Detaching from console'), done };
}
