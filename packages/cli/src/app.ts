// The command tree: the root program with lxc's global flags, and helpers that every noun file uses to add commands.
import { Command, CommanderError } from 'commander';
import { UsageError, checkArgs } from './args.js';
import { Context, type GlobalFlags, type Io } from './context.js';
import { clientVersion } from './version.js';

export type Opts = Record<string, unknown>;
export type Run = (ctx: Context, args: string[], opts: Opts, cmd: Command) => Promise<void>;

export interface LeafSpec {
  /** Argument synopsis, e.g. "[<remote>:]<image> [<target>]". */
  usage?: string;
  summary: string;
  description?: string;
  aliases?: string[];
  min?: number;
  /** -1 for no limit. */
  max?: number;
  examples?: string;
}

/** One Lodge invocation: its streams and the contexts created by actions (closed at the end). */
export class App {
  private readonly contexts: Context[] = [];

  constructor(readonly io: Io) {}

  context(cmd: Command): Context {
    const g = cmd.optsWithGlobals<GlobalFlags>();
    const ctx = new Context(this.io, g);
    this.contexts.push(ctx);
    return ctx;
  }

  close(): void {
    for (const c of this.contexts) c.close();
  }

  /** Adds a runnable command; its positional arguments are counted here, as lxc's CheckArgs does. */
  leaf(parent: Command, name: string, spec: LeafSpec, run: Run): Command {
    const cmd = parent.command(name).summary(spec.summary).description(spec.description ?? spec.summary);
    cmd.usage(`[flags]${spec.usage ? ` ${spec.usage}` : ''}`);
    for (const a of spec.aliases ?? []) cmd.alias(a);
    if (spec.examples) cmd.addHelpText('after', `\nExamples:\n${spec.examples.replace(/^/gm, '  ')}`);
    cmd.argument('[args...]').action(async (args: string[], opts: Opts, self: Command) => {
      try {
        checkArgs(args, spec.min ?? 0, spec.max ?? 0);
        await run(this.context(self), args, opts, self);
      } catch (e) {
        if (e instanceof UsageError) self.outputHelp();
        throw e;
      }
    });
    return cmd;
  }

  /** Adds a command that only groups subcommands. */
  group(parent: Command, name: string, summary: string, aliases: string[] = []): Command {
    const cmd = parent.command(name).summary(summary).description(summary).usage('[command]');
    for (const a of aliases) cmd.alias(a);
    return this.helpWhenBare(cmd);
  }

  /** Alone, a command that only has subcommands prints its help on stdout and succeeds, like lxc. */
  helpWhenBare(cmd: Command): Command {
    return cmd.argument('[args...]').action((args: string[], _opts: Opts, self: Command) => {
      if (args.length > 0) throw new Error(`unknown command "${args[0]}" for "${commandPath(self)}"`);
      self.outputHelp();
    });
  }
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function rootProgram(io: Io): Command {
  const program = new Command('lodge');
  program
    .summary('Command line client for Lodge')
    .description('Command line client for Lodge (LXD-compatible).\n\nAll of Lodge\'s features can be driven through the various commands below.\nFor help with any of those, simply call them with --help.')
    .usage('[command] [flags]')
    .version(clientVersion(), '--version', 'Print version number')
    .helpOption('-h, --help', 'Print help')
    .option('--project <project>', 'Override the source project')
    .option('--debug', 'Show all debug messages')
    .option('-v, --verbose', 'Show all information messages')
    .option('-q, --quiet', "Don't show progress information")
    .option('--force-local', 'Force using the local unix socket')
    .helpCommand('help [command]', 'Help about any command')
    .configureHelp({
      sortSubcommands: true,
      showGlobalOptions: true,
      subcommandTerm: (c) => `${c.name()}${c.aliases().length ? ` (${c.aliases().join(', ')})` : ''}`,
    })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Errors are printed once, by main, in lxc's "Error: ..." form.
      outputError: () => undefined,
    });
  return program;
}

/** Turns commander's wording into cobra's, which scripts written for lxc may match on. */
export function commanderMessage(e: CommanderError): string {
  const m = e.message.replace(/^error: /, '');
  const unknownOption = /^unknown option '([^']+)'/.exec(m);
  if (unknownOption) {
    const opt = unknownOption[1] ?? '';
    // pflag names the first letter of a bundle of short flags (`-la`).
    if (/^-[^-]/.test(opt)) return `unknown shorthand flag: '${opt[1]}' in ${opt}`;
    return `unknown flag: ${opt}`;
  }
  const unknownCommand = /^unknown command '([^']+)'/.exec(m);
  if (unknownCommand) return `unknown command "${unknownCommand[1]}" for "lodge"`;
  const missing = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(m);
  if (missing) return `flag needs an argument: ${missing[1]}`;
  return m;
}
