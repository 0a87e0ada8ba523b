// Console: the log buffer (lxc.console.logfile) and an interactive session through lxc-console on a pty.
import { randomBytes } from 'node:crypto';
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceConsolePost, InstanceExecControl } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { WsConn } from '../http/websocket.js';
import type { OperationOptions } from '../operations/operation.js';
import { spawnPty } from '../sys/pty.js';
import { seg } from '../util/url.js';
import type { InstanceContext } from './context.js';
import { runtimeState } from './runtime.js';
import type { InstanceView } from './view.js';

export function consoleLogPath(ctx: InstanceContext, view: InstanceView): string {
  return join(ctx.paths.instanceLogs(view.names.lxc), 'console.log');
}

export async function readConsoleLog(ctx: InstanceContext, view: InstanceView): Promise<Buffer> {
  return readFile(consoleLogPath(ctx, view)).catch(() => Buffer.alloc(0));
}

export async function clearConsoleLog(ctx: InstanceContext, view: InstanceView): Promise<void> {
  await truncate(consoleLogPath(ctx, view)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

export async function prepareConsole(ctx: InstanceContext, view: InstanceView, req: InstanceConsolePost): Promise<OperationOptions> {
  if (req.type === 'vga') throw ApiError.badRequest('VGA console is only supported by virtual machines');
  if (req.type && req.type !== 'console') throw ApiError.badRequest(`Unknown console type "${req.type}"`);
  const state = await runtimeState(ctx, view);
  if (state.status === 'Stopped') throw ApiError.badRequest('Instance is not running');
  if (state.status === 'Frozen') throw ApiError.badRequest('Instance is frozen');
  const fds = { '0': randomBytes(32).toString('hex'), control: randomBytes(32).toString('hex') };
  const conns = new Map<string, WsConn>();
  let dataConnected!: () => void;
  const connected = new Promise<void>((r) => (dataConnected = r));
  const url = `/1.0/instances/${seg(view.rec.name)}`;
  ctx.events.lifecycle(view.project, 'instance-console', url, { context: { type: 'console' } });
  return {
    project: view.project,
    description: 'Showing console',
    class: 'websocket',
    resources: { containers: [`/1.0/containers/${seg(view.rec.name)}`], instances: [url] },
    metadata: { fds },
    connect: (secret, ws) => {
      const fd = Object.entries(fds).find(([, s]) => s === secret)?.[0];
      if (!fd) throw ApiError.forbidden('permission denied');
      conns.set(fd, ws);
      if (fd === '0') dataConnected();
    },
    run: async () => {
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Timed out waiting for websockets to connect')), 5000).unref());
      await Promise.race([connected, timer]);
      await session(ctx, view, req, conns);
    },
  };
}

async function session(ctx: InstanceContext, view: InstanceView, req: InstanceConsolePost, conns: Map<string, WsConn>): Promise<void> {
  const pty = spawnPty('lxc-console', ['-P', ctx.lxc.lxcpath, '-n', view.names.lxc, '-t', '0'], {
    name: 'xterm',
    cols: req.width && req.width > 0 ? req.width : 80,
    rows: req.height && req.height > 0 ? req.height : 24,
  });
  const data = conns.get('0')!;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    pty.kill('SIGTERM');
  };
  data.onMessage((buf, binary) => {
    if (binary) pty.write(buf);
  });
  data.onClose(finish);
  const control = conns.get('control');
  control?.onMessage((buf) => {
    try {
      const m = JSON.parse(buf.toString()) as InstanceExecControl;
      if (m.command === 'window-resize' && m.args) pty.resize(Math.max(Number(m.args.width) || 80, 1), Math.max(Number(m.args.height) || 24, 1));
    } catch {
      // Ignored, as LXD does.
    }
  });
  control?.onClose(finish);
  pty.onData((d) => void data.send(d));
  await new Promise<void>((resolve) => pty.onExit(() => resolve()));
  done = true;
  await data.send(Buffer.from('\n\r'));
  for (const c of conns.values()) c.close();
}
