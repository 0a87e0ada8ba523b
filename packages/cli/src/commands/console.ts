// `lodge console`: attach to the instance console (raw terminal, ctrl-a q detaches, SIGWINCH resizes), or print its log.
import type { Command } from 'commander';
import { consoleInstance } from '@lodge/client';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { makeRaw, onSignals, terminalSize, type TtyIn, type TtyOut } from '../terminal.js';

/**
 * lxc's stdinMirror: ctrl-a arms the escape and is swallowed; a following "q" detaches; anything else disarms it.
 * Like lxc, only the first byte of each read is looked at.
 */
export function escapeFilter(onDetach: () => void): (chunk: Buffer) => Buffer | null {
  let armed = false;
  return (chunk) => {
    const first = chunk[0];
    if (first === 0x01 && !armed) {
      armed = true;
      return null;
    }
    if (first === 0x71 && armed) {
      onDetach();
      return null;
    }
    armed = false;
    return chunk;
  };
}

export async function attachConsole(ctx: Context, nameArg: string, type = 'console'): Promise<void> {
  if (type === 'vga') throw new Error('VGA consoles (SPICE) are not supported by lodge');
  if (type !== 'console') throw new Error(`Unknown console type "${type}"`);
  const r = await ctx.resolve(nameArg);
  const stdin = ctx.io.stdin as NodeJS.ReadableStream & TtyIn;
  const stdout = ctx.io.stdout as NodeJS.WritableStream & TtyOut;
  const restore = makeRaw(stdin);
  try {
    const size = terminalSize(stdin as TtyOut) ?? terminalSize(stdout);
    ctx.print('To detach from the console, press: <ctrl>+a q\n\r');
    let detach = (): void => undefined;
    const session = await consoleInstance(
      r.client,
      r.name,
      { type: 'console', width: size?.width ?? 0, height: size?.height ?? 0 },
      {
        stdin: stdin as never,
        stdout: { write: (b: Buffer) => stdout.write(b) },
        filter: escapeFilter(() => detach()),
        control: (ctl) =>
          onSignals(['SIGWINCH'], () => {
            const s = terminalSize(stdout);
            if (s) ctl.resize(s.width, s.height);
          }),
      },
    );
    detach = session.detach;
    await session.done;
  } finally {
    restore();
    (stdin as { pause?: () => void }).pause?.();
    if (stdin === (process.stdin as unknown)) process.stdin.destroy();
  }
}

async function consoleCommand(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const type = typeof opts.type === 'string' ? opts.type : 'console';
  if (type !== 'console' && type !== 'vga') throw new Error(`Unknown output type "${type}"`);
  if (opts.showLog) {
    if (type !== 'console') throw new Error("The --show-log flag is only supported for by 'console' output type");
    const r = await ctx.resolve(args[0] ?? '');
    const log = await r.client.instances.consoleLog(r.name);
    ctx.print(`\nConsole log:\n\n${log.toString()}\n`);
    return;
  }
  await attachConsole(ctx, args[0] ?? '', type);
}

export function registerConsole(program: Command, app: App): void {
  app
    .leaf(
      program,
      'console',
      {
        usage: '[<remote>:]<instance>',
        summary: 'Attach to instance consoles',
        description: 'Attach to instance consoles\n\nThis command allows you to interact with the boot console of an instance\nas well as retrieve past log entries from it.',
        min: 1,
        max: 1,
      },
      consoleCommand,
    )
    .option('--show-log', "Retrieve the instance's console log")
    .option('-t, --type <type>', "Type of connection to establish: 'console' for serial console, 'vga' for SPICE graphical output", 'console');
}
