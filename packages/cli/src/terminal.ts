// The local terminal for interactive exec and console: raw mode (restored on every exit path), size, and signal forwarding.
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';

export interface TtyIn {
  isTTY?: boolean;
  fd?: number;
  setRawMode?(raw: boolean): unknown;
}

export interface TtyOut {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Puts stdin in raw mode; the returned function restores it (also run if the process exits first). */
export function makeRaw(stdin: TtyIn): () => void {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') throw new Error('inappropriate ioctl for device');
  stdin.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR), so the remote pty's "\r\n" would print as "\r\r\n";
  // Go's MakeRaw (cfmakeraw) turns it off. setRawMode(false) later restores the saved settings, OPOST included.
  spawnSync('stty', ['-opost'], { stdio: [typeof stdin.fd === 'number' ? stdin.fd : 'inherit', 'ignore', 'ignore'] });
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    try {
      stdin.setRawMode?.(false);
    } catch {
      /* the terminal is gone */
    }
  };
  process.on('exit', restore);
  return restore;
}

export function terminalSize(out: TtyOut): { width: number; height: number } | undefined {
  if (!out.isTTY || !out.columns || !out.rows) return undefined;
  return { width: out.columns, height: out.rows };
}

/** The signals lxc forwards to the remote command (SIGWINCH is handled apart, as a window resize). */
export const forwardedSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGABRT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];

export function signalNumber(sig: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[sig] ?? 0;
}

/** Whether this process still has a controlling terminal (lxc turns HUP into TERM when it has none). */
export function hasControllingTty(): boolean {
  try {
    closeSync(openSync('/dev/tty', fsConstants.O_RDONLY | fsConstants.O_NOCTTY));
    return true;
  } catch {
    return false;
  }
}

/** Installs handlers for the given signals; the returned function removes them. */
export function onSignals(signals: NodeJS.Signals[], handler: (sig: NodeJS.Signals) => void): () => void {
  const installed: [NodeJS.Signals, () => void][] = [];
  for (const sig of signals) {
    const fn = (): void => handler(sig);
    try {
      process.on(sig, fn);
      installed.push([sig, fn]);
    } catch {
      /* not catchable here */
    }
  }
  return () => {
    for (const [sig, fn] of installed) process.off(sig, fn);
  };
}
