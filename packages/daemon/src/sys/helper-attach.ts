// lodge-helper attach: the argv that runs a command in a running container, its exit status, and signals for it.
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { checkId, checkString, helperPath } from './helper.js';

/** `attach` exit code when the helper itself failed: the command never ran. */
export const ATTACH_FAILED = 125;

export interface AttachOptions {
  /** LXC path (lxc-start -P) and container name. */
  lxcpath: string;
  name: string;
  /** The container's cgroup (lxc.cgroup.dir.container): the command joins it in every hierarchy. */
  cgroup: string;
  /** argv; no shell is involved. */
  command: string[];
  uid?: number;
  gid?: number;
  /** Working directory; default HOME from env (as LXD). A missing directory leaves the command in `/`. */
  cwd?: string;
  /** The complete environment: the container's process sees nothing else (plus container=lxc). */
  env?: Record<string, string>;
  /**
   * Interactive: the command runs on a pty of this size from the container's own devpts (its
   * controlling terminal, owned by uid/gid); the helper relays the pty to its own stdin/stdout.
   */
  pty?: { rows: number; cols: number };
  /** With pty: the helper's descriptor (3 and up) on which it reads resizeLine() lines. */
  controlFd?: number;
  /**
   * Without pty: the helper's descriptor (3 and up) it waits on, loaded and checked, before it runs the
   * command: one byte starts it, end of file calls it off (exit ATTACH_FAILED, nothing ran).
   */
  waitFd?: number;
}

function checkSize(what: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff)) throw new RangeError(`invalid ${what}: ${v}`);
}

/** A window size change for the control descriptor of `attach --pty` (the kernel sends SIGWINCH). */
export function resizeLine(rows: number, cols: number): string {
  checkSize('rows', rows);
  checkSize('cols', cols);
  return `resize ${rows} ${cols}\n`;
}

/**
 * The argv to run a command in a running container. The daemon spawns it itself with pipes: they
 * are the command's stdio, or with `pty` the two ends of the relay to the command's pty. The
 * helper exits with the command's status, 128+N when it was killed by signal N, 126/127 when the
 * command is not executable / not found, ATTACH_FAILED otherwise.
 */
export function attachArgs(o: AttachOptions, env: NodeJS.ProcessEnv = process.env): { file: string; args: string[] } {
  if (o.command.length === 0) throw new RangeError('empty command');
  checkId('uid', o.uid);
  checkId('gid', o.gid);
  const args = ['attach', '--lxcpath', o.lxcpath, '--name', o.name, '--cgroup', o.cgroup];
  if (o.uid !== undefined) args.push('--uid', String(o.uid));
  if (o.gid !== undefined) args.push('--gid', String(o.gid));
  const cwd = o.cwd || o.env?.HOME;
  if (cwd) args.push('--cwd', cwd);
  if (o.pty) {
    checkSize('rows', o.pty.rows);
    checkSize('cols', o.pty.cols);
    args.push('--pty', `${o.pty.rows}x${o.pty.cols}`);
  }
  if (o.controlFd !== undefined) {
    if (!o.pty) throw new RangeError('controlFd needs pty');
    if (!(Number.isInteger(o.controlFd) && o.controlFd >= 3 && o.controlFd <= 0x7fffffff)) throw new RangeError(`invalid controlFd: ${o.controlFd}`);
    args.push('--control-fd', String(o.controlFd));
  }
  if (o.waitFd !== undefined) {
    if (o.pty) throw new RangeError('waitFd is for commands without pty');
    if (!(Number.isInteger(o.waitFd) && o.waitFd >= 3 && o.waitFd <= 0x7fffffff)) throw new RangeError(`invalid waitFd: ${o.waitFd}`);
    args.push('--wait-fd', String(o.waitFd));
  }
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (k === '' || k.includes('=')) throw new RangeError(`invalid environment variable name: ${JSON.stringify(k)}`);
    args.push('--env', `${k}=${v}`);
  }
  args.push('--', ...o.command);
  for (const a of args) checkString('argument', a);
  return { file: helperPath(env), args };
}

/** LXD's `return` value from how the helper process ended (Node's exit code and signal). */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? osConstants.signals[signal] : undefined;
  return n === undefined ? -1 : 128 + n;
}

/**
 * Delivers an exec "signal" control message. Signals sent to the helper are forwarded to the
 * command; SIGKILL cannot be, but killing the helper kills the command (parent-death signals);
 * SIGSTOP goes straight to the attached process.
 */
export function signalAttached(
  helperPid: number,
  signal: number,
  kill: (pid: number, sig: number) => void = (pid, sig) => process.kill(pid, sig),
): void {
  if (signal === osConstants.signals.SIGSTOP) {
    const child = attachedPid(helperPid);
    if (child !== undefined) kill(child, signal);
    return;
  }
  kill(helperPid, signal);
}

/**
 * The host pid of the command a helper attached, if it is there: the only child of the helper's
 * only child (the one that joined the container's cgroups and called liblxc).
 */
export function attachedPid(helperPid: number): number | undefined {
  const onlyChild = (pid: number): number | undefined => {
    try {
      const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
      return first ? Number(first) : undefined;
    } catch {
      return undefined;
    }
  };
  const middle = onlyChild(helperPid);
  return middle === undefined ? undefined : onlyChild(middle);
}
