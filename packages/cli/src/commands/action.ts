// `lodge start/stop/restart/pause`: PUT /state for each instance (in parallel, as lxc's runBatch), with --all, --force, --timeout.
import type { Command } from 'commander';
import type { InstanceStatePut } from '@lodge/api';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { waitWithProgress } from './instance-common.js';

const frozen = 110;
const running = 103;
const stopped = 102;

type Action = 'start' | 'stop' | 'restart' | 'pause';

interface ActionOpts {
  all?: boolean;
  force?: boolean;
  timeout?: string;
  stateful?: boolean;
  stateless?: boolean;
  console?: string | boolean;
}

/** Runs one action on one `[remote:]name`; errors carry lxc's hint to look at the log. */
async function doAction(ctx: Context, action: Action, nameArg: string, opts: ActionOpts, attach?: (ctx: Context, nameArg: string) => Promise<void>): Promise<void> {
  if (action === 'stop' && opts.force && opts.console) throw new Error("--console can't be used while forcing instance shutdown");
  const r = await ctx.resolve(nameArg);
  if (r.name === '') throw new Error(`Must supply instance name for: "${nameArg}"`);
  let apiAction: InstanceStatePut['action'] = action === 'pause' ? 'freeze' : action;
  let stateful = action === 'stop' && opts.stateful === true;
  if (action === 'start') {
    const { instance } = await r.client.instances.get(r.name);
    if (instance.status_code === frozen) apiAction = 'unfreeze';
    if (apiAction === 'start' && instance.stateful && !opts.stateless) stateful = true;
  }
  const timeout = action === 'stop' || action === 'restart' ? Number.parseInt(opts.timeout ?? '-1', 10) : 0;
  if (Number.isNaN(timeout)) throw new Error(`invalid argument "${opts.timeout}" for "--timeout" flag: strconv.ParseInt: parsing "${opts.timeout}": invalid syntax`);
  const op = await r.client.instances.setState(r.name, { action: apiAction, timeout, force: opts.force === true, stateful });
  if (action === 'stop' && opts.console && attach) {
    await attach(ctx, nameArg);
    return;
  }
  // Like lxc, a failure already known when the wait starts is reported as it is, without the hint.
  if ((await op.settled()).finished) await op.wait();
  try {
    await waitWithProgress(ctx, op);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nTry \`lodge info --show-log ${nameArg}\` for more info`);
  }
  if (opts.console && attach) await attach(ctx, nameArg);
}

async function allNames(ctx: Context, action: Action, args: string[]): Promise<string[]> {
  const remotes = args.length === 0 ? [`${(await ctx.conf())['default-remote']}:`] : args;
  const names: string[] = [];
  for (const raw of remotes) {
    const r = await ctx.resolve(raw);
    if (r.name !== '') throw new Error('Both --all and instance name given');
    for (const i of await r.client.instances.list(1)) {
      if (action === 'start' && i.status_code === running) continue;
      if (action === 'stop' && i.status_code === stopped) continue;
      names.push(`${r.remote}:${i.name}`);
    }
  }
  return names;
}

export async function runAction(ctx: Context, action: Action, args: string[], opts: ActionOpts, cmd: Command, attach?: (ctx: Context, nameArg: string) => Promise<void>): Promise<void> {
  let names: string[];
  if (opts.all) names = await allNames(ctx, action, args);
  else {
    if (args.length === 0) {
      cmd.outputHelp();
      return;
    }
    names = args;
  }
  if (opts.console) {
    if (opts.all) throw new Error("--console can't be used with --all");
    if (names.length !== 1) throw new Error('--console only works with a single instance');
  }
  const results = await Promise.all(
    names.map((n) =>
      doAction(ctx, action, n, opts, attach).then(
        () => undefined,
        (e: unknown) => e as Error,
      ),
    ),
  );
  if (results.length === 1) {
    if (results[0]) throw results[0];
    return;
  }
  let failed = false;
  results.forEach((err, i) => {
    if (!err) return;
    failed = true;
    for (const line of `error: ${err.message}`.split('\n')) ctx.warn(`${names[i]}: ${line}`);
  });
  if (failed) {
    ctx.warn('');
    throw new Error(`Some instances failed to ${action}`);
  }
}

export function registerActions(program: Command, app: App, attach?: (ctx: Context, nameArg: string) => Promise<void>): void {
  const summaries: Record<Action, string> = {
    start: 'Start instances',
    stop: 'Stop instances',
    restart: 'Restart instances',
    pause: 'Pause instances',
  };
  for (const action of ['start', 'stop', 'restart', 'pause'] as Action[]) {
    const cmd = app.leaf(
      program,
      action,
      {
        usage: '[<remote>:]<instance> [[<remote>:]<instance>...]',
        summary: summaries[action],
        description: action === 'restart' ? 'Restart instances\n\nThe opposite of "lodge pause" is "lodge start".' : summaries[action],
        max: -1,
      },
      (ctx, args, opts, self) => runAction(ctx, action, args, opts as ActionOpts, self, attach),
    );
    cmd.option('--all', 'Run against all instances');
    if (action === 'stop') cmd.option('--stateful', 'Store the instance state');
    if (action === 'start') cmd.option('--stateless', 'Ignore the instance state');
    if (action !== 'pause') cmd.option('--console [type]', 'Immediately attach to the console');
    if (action === 'stop' || action === 'restart') {
      cmd.option('-f, --force', 'Force the instance to shutdown');
      cmd.option('--timeout <seconds>', 'Time to wait for the instance before killing it', '-1');
    }
  }
}
