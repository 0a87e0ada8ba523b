// lodge-helper notify and netcat as command lines other programs run: the LXC post-stop hook, rsync's remote shell.
import { checkString, helperPath } from './helper.js';

export interface NotifyOptions {
  /** The daemon's unix socket. */
  socket: string;
  /** Absolute request path with an optional query, e.g. /internal/instances/p/c1/stopped. */
  url: string;
  /** Environment variables the hook adds as query parameters: { LXC_TARGET: 'target' }. */
  envQuery?: Record<string, string>;
  method?: string;
  /** Whole-request deadline; default 2000. */
  timeoutMs?: number;
  /** Exit 0 even when the daemon could not be told (so LXC still reboots a container while the daemon is down). */
  bestEffort?: boolean;
}

export function notifyArgs(o: NotifyOptions): string[] {
  checkString('socket', o.socket);
  checkString('url', o.url);
  if (!o.socket) throw new RangeError('empty socket');
  if (!/^\/[\x21-\x7e]*$/.test(o.url)) throw new RangeError(`invalid url: ${o.url}`);
  const args = ['notify', '--socket', o.socket, '--url', o.url];
  if (o.method !== undefined) {
    if (!/^[A-Za-z]+$/.test(o.method)) throw new RangeError(`invalid method: ${o.method}`);
    args.push('--method', o.method);
  }
  if (o.timeoutMs !== undefined) {
    if (!(Number.isInteger(o.timeoutMs) && o.timeoutMs > 0 && o.timeoutMs <= 600_000)) throw new RangeError(`invalid timeout: ${o.timeoutMs}`);
    args.push('--timeout-ms', String(o.timeoutMs));
  }
  for (const [env, param] of Object.entries(o.envQuery ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env) || param === '' || param.includes('\0')) throw new RangeError(`invalid env query ${env}=${param}`);
    args.push('--env-query', `${env}=${param}`);
  }
  if (o.bestEffort) args.push('--best-effort');
  return args;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lxc.hook.post-stop value (LXC runs hooks through /bin/sh): the helper tells the daemon
 * synchronously in a few milliseconds and gives up after timeoutMs, so lxc-stop never hangs.
 */
export function notifyHookCommand(o: NotifyOptions, env: NodeJS.ProcessEnv = process.env): string {
  const line = [helperPath(env), ...notifyArgs(o)].map(shellQuote).join(' ');
  if (/[\n\r]/.test(line)) throw new RangeError('newline in hook command');
  return line;
}

/** rsync's remote shell (-e) for migration: the helper bridges rsync's stdio to the daemon's abstract socket. */
export function netcatShell(socket: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^@[A-Za-z0-9/_.-]+$/.test(socket)) throw new RangeError(`invalid abstract socket name: ${socket}`);
  return `${helperPath(env)} netcat ${socket}`;
}
