// `lodge monitor`: prints server events (YAML by default, JSON or pretty log lines) until interrupted.
import type { Command } from 'commander';
import type { Event } from '@lodge/api';
import { EventStream } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { goJson } from '../format/gojson.js';
import { anyToGo, goTime } from '../format/gotypes.js';
import { goYaml } from '../format/goyaml.js';
import { eventToRecord, formatRecord, parseLevel } from '../format/logrus.js';

interface MonitorOpts {
  type: string[];
  pretty?: boolean;
  loglevel?: string;
  allProjects?: boolean;
  format: string;
}

/** The event as lxc re-reads it into interface{}: Go's field set, then every map sorted by the encoder. */
export function eventView(e: Event): Record<string, unknown> {
  return {
    type: e.type,
    timestamp: goTime(e.timestamp),
    metadata: e.metadata ?? null,
    ...(e.location ? { location: e.location } : {}),
    ...(e.project ? { project: e.project } : {}),
  };
}

export function renderEvent(e: Event, o: { format: string; color: boolean; maxLevel: number }): string {
  if (o.format === 'pretty') {
    const rec = eventToRecord(e);
    return parseLevel(rec.level) > o.maxLevel ? '' : formatRecord(rec, o.color);
  }
  const node = anyToGo(eventView(e));
  return o.format === 'json' ? `${goJson(node)}\n\n` : `${goYaml(node)}\n\n`;
}

async function monitor(ctx: Context, args: string[], raw: Record<string, unknown>): Promise<void> {
  const opts = raw as unknown as MonitorOpts;
  if (!['json', 'pretty', 'yaml'].includes(opts.format)) throw new Error(`Invalid format: ${opts.format}`);
  const format = opts.pretty ? 'pretty' : opts.format;
  if (format !== 'pretty' && opts.loglevel) throw new Error('Log level filtering can only be used with pretty formatting');
  const maxLevel = opts.loglevel ? parseLevel(opts.loglevel) : parseLevel('debug');
  const r = await ctx.resolve(args[0] ?? '');
  const project = await ctx.project(r.remote);
  const stream = await EventStream.open(r.client.transport, opts.allProjects ? { allProjects: true } : { project });
  const types = new Set(opts.type);
  await new Promise<void>((_resolve, reject) => {
    stream.on((e) => {
      if (types.size > 0 && !types.has(e.type)) return;
      try {
        ctx.print(renderEvent(e, { format, color: ctx.stdoutIsTTY, maxLevel }));
      } catch (err) {
        stream.close();
        reject(err);
      }
    });
    stream.onClose((err) => reject(err ?? new Error('The server closed the event stream')));
  });
}

export function registerMonitor(program: Command, app: App): void {
  app
    .leaf(
      program,
      'monitor',
      {
        usage: '[<remote>:]',
        summary: 'Monitor a local or remote Lodge server',
        description: 'Monitor a local or remote Lodge server\n\nBy default the monitor will listen to all message types.',
        examples: 'lodge monitor --type=logging\n    Only show log messages.\n\nlodge monitor --pretty --type=logging --loglevel=info\n    Show a pretty log of messages with info level or higher.\n\nlodge monitor --type=lifecycle\n    Only show lifecycle events.',
        max: 1,
      },
      monitor,
    )
    .option('--pretty', 'Pretty rendering (short for --format=pretty)')
    .option('--all-projects', 'Show events from all projects')
    .option('--type <type>', 'Event type to listen for', collect, [])
    .option('--loglevel <level>', 'Minimum level for log messages (only available when using pretty format)')
    .option('-f, --format <format>', 'Format (json|pretty|yaml)', 'yaml');
}
