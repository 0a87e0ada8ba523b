// Processes on a pseudo-terminal (interactive exec and console), through node-pty.
import { spawn, type IPty } from 'node-pty';

export interface Pty {
  readonly pid: number;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  onData(fn: (data: Buffer) => void): void;
  onExit(fn: (e: { exitCode: number; signal?: number }) => void): void;
}

/** Bytes in and out: no text decoding, so binary output and split UTF-8 sequences pass through intact. */
export function spawnPty(file: string, args: string[], opts: { name: string; cols: number; rows: number }): Pty {
  // The helper sets the command's environment itself; the pty process gets none of the daemon's.
  const p: IPty = spawn(file, args, { name: opts.name, cols: opts.cols, rows: opts.rows, env: {}, encoding: null });
  return {
    pid: p.pid,
    write: (d) => p.write(d),
    resize: (c, r) => p.resize(c, r),
    kill: (sig) => p.kill(sig),
    onData: (fn) => p.onData((d) => fn(typeof d === 'string' ? Buffer.from(d) : (d as Buffer))),
    onExit: (fn) => p.onExit(fn),
  };
}
