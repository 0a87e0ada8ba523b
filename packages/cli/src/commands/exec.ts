// `lodge exec`: interactive (a pty, raw local terminal, resizes and signals forwarded) or not (stdout/stderr apart,
// stdin piped, its end sent as EOF); lodge exits with the remote command's exit status.
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { InstanceExecPost } from '@lodge/api';
import { execInstance, type Input } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit.js';
import { forwardedSignals, hasControllingTty, makeRaw, onSignals, signalNumber, terminalSize, type TtyIn, type TtyOut } from '../terminal.js';

export interface ExecOptions {
  env?: string[];
  mode?: string;
  forceInteractive?: boolean;
  forceNoninteractive?: boolean;
  disableStdin?: boolean;
  user?: string;
  group?: string;
  cwd?: string;
}

/** A uint32 flag value, with cobra's wording when it is not one. */
export function parseUint32(flag: string, v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new Error(`invalid argument "${v}" for "--${flag}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** The request lxc sends, and whether the session is interactive. */
export function execRequest(command: string[], opts: ExecOptions, env: NodeJS.ProcessEnv, tty: { stdin: boolean; stdout: boolean; size?: { width: number; height: number } }): InstanceExecPost {
  if (opts.forceInteractive && opts.forceNoninteractive) throw new Error("You can't pass -t and -T at the same time");
  const mode = opts.mode ?? 'auto';
  if (mode !== 'auto' && (opts.forceInteractive || opts.forceNoninteractive)) throw new Error("You can't pass -t or -T at the same time as --mode");
  const environment: Record<string, string> = {};
  if (env.TERM !== undefined) environment.TERM = env.TERM;
  for (const e of opts.env ?? []) {
    const eq = e.indexOf('=');
    environment[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  let interactive: boolean;
  if (opts.disableStdin) interactive = false;
  else if (mode === 'interactive' || opts.forceInteractive) interactive = true;
  else if (mode === 'non-interactive' || opts.forceNoninteractive) interactive = false;
  else interactive = tty.stdin && tty.stdout;
  return {
    command,
    'wait-for-websocket': true,
    interactive,
    environment,
    width: tty.size?.width ?? 0,
    height: tty.size?.height ?? 0,
    'record-output': false,
    user: parseUint32('user', opts.user),
    group: parseUint32('group', opts.group),
    cwd: opts.cwd ?? '',
  };
}

async function exec(ctx: Context, args: string[], opts: ExecOptions): Promise<void> {
  const stdin = ctx.io.stdin as NodeJS.ReadableStream & TtyIn;
  const stdout = ctx.io.stdout as NodeJS.WritableStream & TtyOut;
  const stdinTty = stdin.isTTY === true;
  const size = terminalSize(stdout);
  const req = execRequest(args.slice(1), opts, ctx.io.env, { stdin: stdinTty, stdout: stdout.isTTY === true, size });
  const r = await ctx.resolve(args[0] ?? '');
  if (r.name === '') throw new Error('Missing instance name');
  const interactive = req.interactive === true;
  const restore = interactive && stdinTty ? makeRaw(stdin) : () => undefined;
  const input: Input = opts.disableStdin ? Readable.from([]) : (stdin as unknown as Input);
  try {
    const result = await execInstance(r.client, r.name, req, {
      stdin: input,
      stdout: { write: (b: Buffer) => stdout.write(b) },
      stderr: { write: (b: Buffer) => ctx.io.stderr.write(b) },
      control: (ctl) => {
        const offWinch = onSignals(['SIGWINCH'], () => {
          const s = terminalSize(stdout);
          if (interactive && s) ctl.resize(s.width, s.height);
        });
        const offOthers = onSignals(forwardedSignals, (sig) => {
          if (sig === 'SIGHUP' && !hasControllingTty()) ctl.signal(signalNumber('SIGTERM'));
          else ctl.signal(signalNumber(sig));
        });
        return () => {
          offWinch();
          offOthers();
        };
      },
    });
    if (result.exitCode !== 0) throw new ExitCode(result.exitCode < 0 ? 255 : result.exitCode & 0xff);
  } finally {
    restore();
    // Stop reading the local stdin so the process can exit once the remote command has.
    if (!opts.disableStdin) (stdin as { pause?: () => void }).pause?.();
    if (stdin === (process.stdin as unknown)) process.stdin.destroy();
  }
}

export function registerExec(program: Command, app: App): void {
  app
    .leaf(
      program,
      'exec',
      {
        usage: '[<remote>:]<instance> [flags] [--] <command line>',
        summary: 'Execute commands in instances',
        description: `Execute commands in instances

The command is executed directly using exec, so there is no shell and
shell patterns (variables, file redirects, ...) won't be understood.
If you need a shell environment you need to execute the shell
executable, passing the shell commands as arguments, for example:

  lodge exec <instance> -- sh -c "cd /tmp && pwd"

Mode defaults to non-interactive, interactive mode is selected if both stdin AND stdout are terminals (stderr is ignored).`,
        min: 2,
        max: -1,
      },
      (ctx, args, opts) => exec(ctx, args, opts as ExecOptions),
    )
    .option('--env <KEY=VALUE>', 'Environment variable to set (e.g. HOME=/home/foo)', collect)
    .option('--mode <mode>', 'Override the terminal mode (auto, interactive or non-interactive)', 'auto')
    .option('-t, --force-interactive', 'Force pseudo-terminal allocation')
    .option('-T, --force-noninteractive', 'Disable pseudo-terminal allocation')
    .option('-n, --disable-stdin', 'Disable stdin (reads from /dev/null)')
    .option('--user <uid>', 'User ID to run the command as (default 0)')
    .option('--group <gid>', 'Group ID to run the command as (default 0)')
    .option('--cwd <dir>', 'Directory to run the command in (default /root)');
}
