// Entry point of `lodge`: builds the command tree, runs one command, prints errors as lxc does and returns the exit code.
import { CommanderError } from 'commander';
import { App, commanderMessage, rootProgram } from './app.js';
import type { Io } from './context.js';
import { registerAll } from './commands/index.js';

import { ExitCode } from './exit.js';

export { ExitCode };

const strerror: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  ECONNREFUSED: 'connection refused',
  ENOSPC: 'no space left on device',
};

/** Node's system errors in the words Go uses ("open /x: no such file or directory", "dial unix /s: connect: ..."). */
function systemErrorMessage(e: NodeJS.ErrnoException & { address?: string; port?: number }): string | undefined {
  const text = e.code ? strerror[e.code] : undefined;
  if (!text) return undefined;
  if (e.syscall === 'connect' && e.address && e.port) return `dial tcp ${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}: connect: ${text}`;
  if (e.syscall === 'connect' && e.address) return `dial unix ${e.address}: connect: ${text}`;
  if (e.path) return `${e.syscall === 'stat' || e.syscall === 'open' ? 'open' : (e.syscall ?? 'open')} ${e.path}: ${text}`;
  return undefined;
}

function errorMessage(e: unknown): string {
  if (e instanceof CommanderError) return commanderMessage(e);
  if (e instanceof Error && 'code' in e) return systemErrorMessage(e as NodeJS.ErrnoException) ?? e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export async function run(argv: string[], io: Io): Promise<number> {
  const app = new App(io);
  const program = rootProgram(io);
  app.helpWhenBare(program);
  registerAll(program, app);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version')) return 0;
    if (e instanceof CommanderError && e.code === 'commander.help') return 1;
    io.stderr.write(`Error: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    app.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  // A closed pipe (`lodge image list | head -1`) ends the command quietly, as SIGPIPE ends lxc.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  return run(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}
