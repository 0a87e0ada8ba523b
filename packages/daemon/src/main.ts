// lodged entry point: run the daemon, or `waitready`, `shutdown`, `version`.
import { parseArgs } from 'node:util';
import { LodgeClient } from '@lodge/client';
import { Daemon } from './daemon.js';
import { serverVersion } from './server/service.js';
import { LogRoot } from './sys/log.js';
import { groupId } from './sys/groups.js';
import { Paths } from './sys/paths.js';
import { alive, runningPid } from './sys/pidfile.js';

const usage = `Usage: lodged [options]            run the daemon
       lodged waitready [--timeout S]   wait until the API answers
       lodged shutdown [--timeout S]    stop the daemon (containers keep running)
       lodged version

Options:
  --dir DIR               state directory (env LODGE_DIR, default /var/lib/lodge)
  --group GROUP           group owning the unix socket (default root)
  --debug                 log debug messages to stderr and the log file
  --verbose               log info messages to stderr
  --no-default-network    do not create lodgebr0 on first start
  --timeout S             seconds to wait (waitready, shutdown)
  -h, --help              show this help
`;

async function waitReady(dir: string, timeoutS: number): Promise<number> {
  const client = LodgeClient.unix(new Paths(dir).socket);
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    try {
      await client.get('/1.0');
      return 0;
    } catch {
      if (Date.now() > deadline) {
        process.stderr.write(`Error: lodged did not become ready within ${timeoutS}s\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function shutdown(dir: string, timeoutS: number): Promise<number> {
  const paths = new Paths(dir);
  const client = LodgeClient.unix(paths.socket);
  const pid = await runningPid(paths.pidFile);
  try {
    await client.query('PUT', '/internal/shutdown');
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    return 1;
  }
  // Done when the process is gone, not merely when the socket stops answering: it closes first.
  const stopped = async (): Promise<boolean> => (pid === undefined ? !(await client.get('/1.0').then(() => true, () => false)) : !alive(pid));
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    if (await stopped()) return 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stderr.write(`Error: lodged did not stop within ${timeoutS}s\n`);
  return 1;
}

/** Run by LXC's post-stop hook: report the stop (or reboot) to the daemon. */
async function callhook(dir: string, project: string | undefined, name: string | undefined): Promise<number> {
  if (!project || !name) return 2;
  const target = process.env.LXC_TARGET === 'reboot' ? 'reboot' : 'stop';
  const client = LodgeClient.unix(new Paths(dir).socket);
  try {
    await client.query('PUT', `/internal/instances/${encodeURIComponent(project)}/${encodeURIComponent(name)}/stopped?target=${target}`);
    return 0;
  } catch {
    // The daemon is down: it reconciles container states when it starts.
    return 0;
  }
}

async function runDaemon(opts: { dir: string; group?: string; debug: boolean; verbose: boolean; noDefaultNetwork: boolean }): Promise<number> {
  const paths = new Paths(opts.dir);
  const logRoot = new LogRoot({ file: paths.daemonLog, level: opts.debug ? 'debug' : opts.verbose ? 'info' : 'warn', stderr: true });
  const daemon = new Daemon(
    { dir: opts.dir, gid: opts.group ? groupId(opts.group) : undefined, debug: opts.debug, verbose: opts.verbose, defaultNetwork: !opts.noDefaultNetwork },
    logRoot,
  );
  const stop = (): void => {
    void daemon.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // One broken request must not take every container session down with the daemon: log it and go on.
  process.on('uncaughtException', (e) => logRoot.logger.error('Uncaught exception', { err: e.stack ?? e.message }));
  process.on('unhandledRejection', (e) => logRoot.logger.error('Unhandled rejection', { err: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
  try {
    await daemon.start();
  } catch (e) {
    logRoot.logger.error('Failed to start the daemon', { err: (e as Error).message });
    logRoot.flush();
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    return 1;
  }
  daemon.onStopped = () => process.exit(0);
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      group: { type: 'string' },
      debug: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'no-default-network': { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const dir = values.dir ?? process.env.LODGE_DIR ?? '/var/lib/lodge';
  const timeout = Number(values.timeout ?? '60');
  switch (positionals[0]) {
    case undefined:
      return runDaemon({ dir, group: values.group, debug: values.debug ?? false, verbose: values.verbose ?? false, noDefaultNetwork: values['no-default-network'] ?? false });
    case 'waitready':
      return waitReady(dir, timeout);
    case 'shutdown':
      return shutdown(dir, timeout);
    case 'callhook':
      return callhook(positionals[1] ?? dir, positionals[2], positionals[3]);
    case 'version':
      process.stdout.write(`${serverVersion}\n`);
      return 0;
    default:
      process.stderr.write(`Error: unknown command "${positionals[0]}"\n\n${usage}`);
      return 2;
  }
}
