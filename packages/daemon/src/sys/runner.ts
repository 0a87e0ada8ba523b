// Runner: the one way the daemon starts external programs, with captured output and clear errors.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Milliseconds before the process is killed with SIGKILL. */
  timeoutMs?: number;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class RunError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;

  constructor(cmd: string, code: number | null, stdout: string, stderr: string) {
    const detail = stderr.trim() || stdout.trim();
    super(`${cmd} failed${code === null ? '' : ` (exit ${code})`}${detail ? `: ${detail}` : ''}`);
    this.name = 'RunError';
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

export interface Runner {
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
}

/** Runs real processes. */
export class ProcessRunner implements Runner {
  run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: opts.signal,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new RunError(cmd, null, '', e.message));
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        const stdout = Buffer.concat(out).toString();
        const stderr = Buffer.concat(err).toString();
        const exit = code ?? (sig ? 128 : -1);
        if ((opts.okCodes ?? [0]).includes(exit)) resolve({ code: exit, stdout, stderr });
        else reject(new RunError([cmd, ...args].join(' '), exit, stdout, stderr));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? undefined);
    });
  }

  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    return spawn(cmd, args, opts);
  }
}
