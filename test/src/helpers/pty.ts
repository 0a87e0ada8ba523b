// Runs a shell command on a fresh pty under `script`, for what a program does on a terminal.
import { spawn } from 'node:child_process';
import type { CmdResult } from './run.js';

/** The NUL `script` writes to the pty at the end of its input, raw or echoed as `^@`. */
const scriptNul = /\^@|\0/g;

/**
 * `script`'s stdin stays open until the command has exited: at the end of its input `script` writes a NUL to the pty,
 * which the pty would echo as `^@` into the output at a moment that differs from run to run (before or after the
 * command's output). Should one still come through, it is dropped from the output wherever it landed; nothing the
 * tests expect contains one.
 */
export function onPty(command: string, env: NodeJS.ProcessEnv): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-eqc', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('exit', () => child.stdin.end());
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString().replace(scriptNul, ''), stderr: Buffer.concat(err).toString() }),
    );
  });
}
