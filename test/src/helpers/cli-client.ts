// A client config dir shared by lodge ($LODGE_CONF) and lxc ($LXD_CONF): the same config.yml, client certificate and
// pinned server certificates, so both tools see the same remotes. Removed when the test ends.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { TestDaemon } from './daemon.js';
import { lodgeBin } from './paths.js';
import { freePort } from './remotes.js';
import { run, type CmdResult } from './run.js';

export interface ClientRunOptions {
  input?: string;
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
}

export class CliClient {
  constructor(
    readonly dir: string,
    private readonly localDir?: string,
  ) {}

  /** `local` makes that daemon the `local:` remote (its unix socket). */
  static async create(t: TestContext, local?: TestDaemon): Promise<CliClient> {
    const dir = await mkdtemp(join(tmpdir(), 'lodge-clientconf-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return new CliClient(dir, local?.dir);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, LODGE_CONF: this.dir, LXD_CONF: this.dir, NO_COLOR: '1' };
    delete env.LODGE_DIR;
    delete env.LXD_DIR;
    if (this.localDir) {
      env.LODGE_DIR = this.localDir;
      env.LXD_DIR = this.localDir;
    }
    return { ...env, ...extra };
  }

  lodge(args: string[], opts: ClientRunOptions = {}): Promise<CmdResult> {
    return run(lodgeBin, args, { input: opts.input, allowFail: opts.allowFail, env: this.env(opts.env), timeoutMs: 120_000 });
  }

  lxc(args: string[], opts: ClientRunOptions = {}): Promise<CmdResult> {
    return run('lxc', args, { input: opts.input, allowFail: opts.allowFail, env: this.env(opts.env), timeoutMs: 120_000 });
  }

  config(): Promise<string> {
    return readFile(join(this.dir, 'config.yml'), 'utf8');
  }
}

/** Serves a daemon over HTTPS on a free loopback port; returns "127.0.0.1:port". */
export async function listenOn(d: { lxc(args: string[]): Promise<CmdResult> }): Promise<string> {
  const addr = `127.0.0.1:${await freePort()}`;
  await d.lxc(['config', 'set', 'core.https_address', addr]);
  return addr;
}

/** A one-time trust token from the daemon (`config trust add`), for `remote add NAME TOKEN`. */
export async function trustToken(d: { lxc(args: string[]): Promise<CmdResult> }, name: string): Promise<string> {
  return (await d.lxc(['config', 'trust', 'add', '-q', '--name', name])).stdout.trim();
}
