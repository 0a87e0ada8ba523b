// Processes on a pseudo-terminal (interactive exec and console), through node-pty.
import { spawn, type IPty } from 'node-pty';

export type { IPty };

export function spawnPty(file: string, args: string[], opts: { name: string; cols: number; rows: number }): IPty {
  // The helper sets the command's environment itself; the pty process gets none of the daemon's.
  return spawn(file, args, { name: opts.name, cols: opts.cols, rows: opts.rows, env: {} });
}
