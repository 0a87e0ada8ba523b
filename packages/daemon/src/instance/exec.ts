// Exec: runs a command in a running container through lodge-helper, wired to LXD's websocket protocol.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { InstanceExecControl, InstanceExecPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { WsConn } from '../http/websocket.js';
import type { OperationOptions } from '../operations/operation.js';
import { ATTACH_FAILED, attachArgs, exitStatus, signalAttached } from '../sys/helper.js';
import { spawnPty } from '../sys/pty.js';
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

function attach(s: Session): { file: string; args: string[] } {
  return attachArgs({ lxcpath: s.lxcpath, name: s.view.names.lxc, command: s.req.command, uid: s.req.user, gid: s.req.group, cwd: s.req.cwd, env: s.env });
}

function spawnPiped(ctx: InstanceContext, s: Session): ChildProcess {
  const { file, args } = attach(s);
  const child = ctx.runner.spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A helper that cannot be started reports through 'exit' (code -2 from spawn): the exec fails, the daemon stays up.
  child.on('error', (e) => {
    ctx.log.error('Failed to run lodge-helper', { err: e.message });
    child.emit('exit', ATTACH_FAILED, null);
    child.emit('close', ATTACH_FAILED, null);
  });
  return child;
}

async function recordedExec(ctx: InstanceContext, s: Session, opId: string): Promise<Record<string, unknown>> {
  const child = spawnPiped(ctx, s);
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
      await Promise.race([connected, timer]);
      const code = interactive ? await runInteractive(s, conns) : await runPiped(ctx, s, conns);
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

async function runPiped(ctx: InstanceContext, s: Session, conns: Map<string, WsConn>): Promise<number> {
  const child = spawnPiped(ctx, s);
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
  const pipes = (['1', '2'] as const).map((fd) => pump(fd === '1' ? child.stdout : child.stderr, conns.get(fd)));
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(exitStatus(c, sig))));
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

async function runInteractive(s: Session, conns: Map<string, WsConn>): Promise<number> {
  const { file, args } = attach(s);
  const cols = s.req.width && s.req.width > 0 ? s.req.width : 80;
  const rows = s.req.height && s.req.height > 0 ? s.req.height : 24;
  const pty = spawnPty(file, args, { name: s.env.TERM ?? 'xterm', cols, rows });
  const io = conns.get('0')!;
  io.onMessage((data, binary) => {
    if (binary) pty.write(data);
  });
  let exited = false;
  const resize = (m: InstanceExecControl): void => {
    if (m.command === 'window-resize' && m.args) pty.resize(Math.max(Number(m.args.width) || cols, 1), Math.max(Number(m.args.height) || rows, 1));
    if (m.command === 'signal' && typeof m.signal === 'number') signalAttached(pty.pid, m.signal);
  };
  handleControl(conns.get('control'), resize, () => {
    if (!exited) pty.kill('SIGKILL');
  });
  io.onClose(() => {
    if (!exited) pty.kill('SIGHUP');
  });
  pty.onData((d) => void io.send(d));
  const code = await new Promise<number>((resolve) => pty.onExit(({ exitCode, signal }) => resolve(signal ? 128 + signal : exitCode)));
  exited = true;
  await io.sendBarrier();
  // LXD leaves socket 0 open for the client to close after the barrier; do not wait forever.
  await new Promise<void>((resolve) => {
    io.onClose(resolve);
    setTimeout(resolve, 2000).unref();
  });
  for (const c of conns.values()) c.close();
  return code;
}
