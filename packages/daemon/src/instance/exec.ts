// Exec: runs a command in a running container through lodge-helper, wired to LXD's websocket protocol.
//
// Non-interactive: fds 0, 1, 2 are the command's stdin/stdout/stderr (pipes); an empty text frame
// on 0 closes its stdin; 1 and 2 end with the empty text barrier.
//
// Interactive (LXD's semantics for containers): fd 0 is one stream both ways to the command's
// pty, which `lodge-helper attach --pty` takes from the container's own devpts (the command's
// `tty` is /dev/pts/N inside, its controlling terminal, owned by the command's uid/gid). Binary
// frames are terminal input and output, untouched (0x03, 0x04 are data: the pty's line
// discipline turns them into SIGINT / end of file, as a terminal does). A text frame from the
// client ends the input side only; the command keeps running (LXD closes its pty writer). When
// the command has exited and its output is relayed, the daemon sends the text barrier on fd 0
// and waits for the client to close fd 0 (at most 2 s here; LXD waits indefinitely). The initial
// size is width x height when both are > 0, else 80x25 (LXD's default); `window-resize` on
// control resizes the pty (the kernel sends SIGWINCH). `signal` goes to the command's process
// (not its process group), as LXD does. Closing control while the command runs kills it
// (SIGKILL); closing fd 0 hangs it up (SIGHUP).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { InstanceExecControl, InstanceExecPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { WsConn } from '../http/websocket.js';
import type { OperationOptions } from '../operations/operation.js';
import { ATTACH_FAILED, attachArgs, exitStatus, resizeLine, signalAttached, type AttachOptions } from '../sys/helper-attach.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { runtimeState } from './runtime.js';
import type { InstanceView } from './view.js';

const connectTimeoutMs = 5000;

function secret(): string {
  return randomBytes(32).toString('hex');
}

/** LXD's environment: instance environment.* keys, PATH, HOME/USER for root, LANG, then the request's. */
export function execEnvironment(view: InstanceView, req: InstanceExecPost): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(view.expandedConfig)) if (k.startsWith('environment.')) env[k.slice('environment.'.length)] = v;
  env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  if ((req.user ?? 0) === 0) {
    env.HOME = '/root';
    env.USER = 'root';
  }
  env.LANG = 'C.UTF-8';
  return { ...env, ...(req.environment ?? {}) };
}

interface Session {
  view: InstanceView;
  req: InstanceExecPost;
  env: Record<string, string>;
  lxcpath: string;
}

/** Validates the request and the instance; returns the operation to start. */
export async function prepareExec(ctx: InstanceContext, view: InstanceView, req: InstanceExecPost, requestorLc: { project: string }): Promise<OperationOptions> {
  if (!Array.isArray(req.command) || req.command.length === 0 || !req.command.every((c) => typeof c === 'string')) {
    throw ApiError.badRequest('The command must be a non-empty list of strings');
  }
  const state = await runtimeState(ctx, view);
  if (state.status === 'Stopped') throw ApiError.badRequest('Instance is not running');
  if (state.status === 'Frozen') throw ApiError.badRequest('Instance is frozen');
  const s: Session = { view, req, env: execEnvironment(view, req), lxcpath: ctx.lxc.lxcpath };
  const url = `/1.0/instances/${seg(view.rec.name)}`;
  const base = { project: requestorLc.project, description: 'Executing command', resources: { containers: [`/1.0/containers/${seg(view.rec.name)}`], instances: [url] } };
  ctx.events.lifecycle(view.project, 'instance-exec', url, { context: { command: req.command } });
  if (req['wait-for-websocket']) return websocketExec(ctx, s, base);
  return {
    ...base,
    class: 'task',
    metadata: { command: req.command, environment: s.env, interactive: false },
    run: (opctx) => recordedExec(ctx, s, opctx.op.id),
  };
}

function attach(s: Session, extra: Pick<AttachOptions, 'pty' | 'controlFd' | 'waitFd'> = {}): { file: string; args: string[] } {
  return attachArgs({ lxcpath: s.lxcpath, name: s.view.names.lxc, cgroup: s.view.names.cgroupPayload, command: s.req.command, uid: s.req.user, gid: s.req.group, cwd: s.req.cwd, env: s.env, ...extra });
}

function spawnHelper(ctx: InstanceContext, s: Session, interactive: { rows: number; cols: number } | undefined): ChildProcess {
  const { file, args } = interactive ? attach(s, { pty: interactive, controlFd: 3 }) : attach(s);
  const child = ctx.runner.spawn(file, args, { stdio: interactive ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'] });
  // A helper that cannot be started reports through 'exit' (code -2 from spawn): the exec fails, the daemon stays up.
  child.on('error', (e) => {
    ctx.log.error('Failed to run lodge-helper', { err: e.message });
    child.emit('exit', ATTACH_FAILED, null);
    child.emit('close', ATTACH_FAILED, null);
  });
  return child;
}

async function recordedExec(ctx: InstanceContext, s: Session, opId: string): Promise<Record<string, unknown>> {
  const child = spawnHelper(ctx, s, undefined);
  child.stdin?.end();
  const output: Record<string, string> = {};
  if (s.req['record-output']) {
    const dir = ctx.paths.instanceLogs(s.view.names.lxc);
    for (const fd of ['1', '2'] as const) {
      const file = `exec_${opId}.${fd === '1' ? 'stdout' : 'stderr'}`;
      (fd === '1' ? child.stdout : child.stderr)?.pipe(createWriteStream(join(dir, file), { mode: 0o600 }));
      output[fd] = `/1.0/instances/${seg(s.view.rec.name)}/logs/${file}`;
    }
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c, sig) => resolve(exitStatus(c, sig))));
  return s.req['record-output'] ? { output, return: code } : { return: code };
}

function websocketExec(ctx: InstanceContext, s: Session, base: Pick<OperationOptions, 'project' | 'description' | 'resources'>): OperationOptions {
  const interactive = s.req.interactive === true;
  const names = interactive ? ['0', 'control'] : ['0', '1', '2', 'control'];
  const required = interactive ? ['0', 'control'] : ['0', '1', '2'];
  const fds: Record<string, string> = Object.fromEntries(names.map((n) => [n, secret()]));
  const conns = new Map<string, WsConn>();
  let allConnected!: () => void;
  const connected = new Promise<void>((r) => (allConnected = r));
  return {
    ...base,
    class: 'websocket',
    metadata: { command: s.req.command, environment: s.env, fds, interactive },
    connect: (sec, ws) => {
      const fd = names.find((n) => fds[n] === sec);
      if (!fd) throw ApiError.forbidden('permission denied');
      if (conns.has(fd)) {
        ws.close(1008, 'Websocket number already connected');
        return;
      }
      conns.set(fd, ws);
      ws.keepAlive(10_000);
      if (required.every((r) => conns.has(r))) allConnected();
    },
    run: async (opctx) => {
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Timed out waiting for websockets to connect')), connectTimeoutMs).unref());
      // The helper starts, loads liblxc and checks the container while the client connects; the command itself
      // runs only once every websocket is there.
      const gated = interactive ? undefined : spawnGated(ctx, s);
      try {
        await Promise.race([connected, timer]);
      } catch (e) {
        gated?.cancel();
        throw e;
      }
      const code = gated ? await runPiped(s, conns, gated) : await runInteractive(ctx, s, conns);
      opctx.setMetadata({ return: code });
      ctx.log.debug('Exec finished', { instance: s.view.rec.name, return: code });
      return { return: code };
    },
  };
}

function handleControl(conn: WsConn | undefined, onMsg: (m: InstanceExecControl) => void, onClose: () => void): void {
  if (!conn) return;
  conn.onMessage((data) => {
    try {
      onMsg(JSON.parse(data.toString()) as InstanceExecControl);
    } catch {
      // LXD ignores what it cannot parse.
    }
  });
  conn.onClose(onClose);
}

interface Gated {
  child: ChildProcess;
  /** The helper's output, kept from the start: Node drops what an exited child wrote to a pipe nobody reads. */
  stdout: Readable;
  stderr: Readable;
  exited: Promise<number>;
  go(): void;
  cancel(): void;
}

/** A helper waiting on descriptor 3 for the go: one byte runs the command, end of file calls it off. */
function spawnGated(ctx: InstanceContext, s: Session): Gated {
  const { file, args } = attach(s, { waitFd: 3 });
  const child = ctx.runner.spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const gate = child.stdio[3] as Writable;
  gate.on('error', () => undefined);
  // A helper that fails before the go (an unmapped uid) says why on stderr, which must reach the client.
  const stdout = child.stdout!.pipe(new PassThrough());
  const stderr = child.stderr!.pipe(new PassThrough());
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (c, sig) => resolve(exitStatus(c, sig)));
    child.on('error', (e) => {
      ctx.log.error('Failed to run lodge-helper', { err: e.message });
      resolve(ATTACH_FAILED);
    });
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    go: () => gate.end('g'),
    cancel: () => {
      gate.destroy();
      stdout.resume();
      stderr.resume();
    },
  };
}

async function runPiped(s: Session, conns: Map<string, WsConn>, gated: Gated): Promise<number> {
  const { child } = gated;
  const stdin = conns.get('0')!;
  stdin.onMessage((data, binary) => {
    if (!binary && data.length === 0) child.stdin?.end();
    else if (binary) child.stdin?.write(data);
  });
  stdin.onClose(() => child.stdin?.end());
  child.stdin?.on('error', () => undefined);
  let exited = false;
  handleControl(
    conns.get('control'),
    (m) => {
      if (m.command === 'signal' && typeof m.signal === 'number' && child.pid) signalAttached(child.pid, m.signal);
    },
    () => {
      // A control socket closing while the command runs means SIGKILL (LXD).
      if (!exited && child.pid) child.kill('SIGKILL');
    },
  );
  const pipes = (['1', '2'] as const).map((fd) => pump(fd === '1' ? gated.stdout : gated.stderr, conns.get(fd)));
  gated.go();
  const code = await gated.exited;
  exited = true;
  await Promise.all(pipes);
  for (const c of conns.values()) c.close();
  return code;
}

/** Copies a pipe to a websocket as binary frames, then sends the end-of-stream barrier. */
async function pump(from: NodeJS.ReadableStream | null, to: WsConn | undefined): Promise<void> {
  if (!from) return;
  for await (const chunk of from) await to?.send(chunk as Buffer);
  await to?.sendBarrier();
}

/** A window dimension from control (LXD parses it as an integer); undefined when unusable. */
function dimension(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 0 && n <= 0xffff ? n : undefined;
}

async function runInteractive(ctx: InstanceContext, s: Session, conns: Map<string, WsConn>): Promise<number> {
  const { width, height } = s.req;
  const fits = (n: number | undefined): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffff;
  const size = fits(width) && fits(height) ? { rows: height, cols: width } : { rows: 25, cols: 80 };
  const child = spawnHelper(ctx, s, size);
  const control = child.stdio[3] as Writable | null;
  control?.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  const io = conns.get('0')!;
  io.onMessage((data, binary) => {
    if (binary) child.stdin?.write(data);
    else child.stdin?.end(); // input ends, the pty stays (LXD closes its pty writer)
  });
  let exited = false;
  handleControl(
    conns.get('control'),
    (m) => {
      if (exited) return;
      if (m.command === 'window-resize' && m.args) {
        const cols = dimension(m.args.width);
        const rows = dimension(m.args.height);
        if (cols !== undefined && rows !== undefined) control?.write(resizeLine(rows, cols));
      }
      if (m.command === 'signal' && typeof m.signal === 'number' && child.pid) signalAttached(child.pid, m.signal);
    },
    () => {
      if (!exited && child.pid) child.kill('SIGKILL');
    },
  );
  io.onClose(() => {
    child.stdin?.end();
    if (!exited && child.pid) signalAttached(child.pid, osConstants.signals.SIGHUP); // as a terminal hangup
  });
  // The helper's own messages (it could not attach) reach the terminal too, with terminal line ends.
  const errors = (async () => {
    for await (const chunk of child.stderr ?? []) {
      const text = (chunk as Buffer).toString();
      ctx.log.warn('lodge-helper', { instance: s.view.rec.name, message: text.trim() });
      await io.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')));
    }
  })();
  const output = (async () => {
    for await (const chunk of child.stdout ?? []) await io.send(chunk as Buffer);
  })();
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(exitStatus(c, sig))));
  exited = true;
  control?.end();
  await Promise.all([output, errors]);
  await io.sendBarrier();
  // LXD leaves socket 0 open for the client to close after the barrier; do not wait forever.
  await new Promise<void>((resolve) => {
    io.onClose(resolve);
    setTimeout(resolve, 2000).unref();
  });
  for (const c of conns.values()) c.close();
  return code;
}
