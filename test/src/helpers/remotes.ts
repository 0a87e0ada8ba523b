// HTTPS listeners on free loopback ports and separate lxc configs with remotes, for tests across servers.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type CmdOptions, type CmdResult } from './run.js';

/** Anything driven by its own `lxc` environment: a TestDaemon or a TestLxd. */
export interface LxcDriven {
  lxc(args: string[], opts?: CmdOptions): Promise<CmdResult>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Serves HTTPS on a free 127.0.0.1 port; returns its URL. */
export async function listen(d: LxcDriven): Promise<string> {
  const port = await freePort();
  await d.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${port}`]);
  return `https://127.0.0.1:${port}`;
}

/** A separate lxc config dir (its own client certificate and remotes), removed after the test. */
export class LxcConf {
  constructor(readonly dir: string) {}

  static async create(t: TestContext): Promise<LxcConf> {
    const dir = await mkdtemp(join(tmpdir(), 'lodge-lxcconf-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return new LxcConf(dir);
  }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, LXD_CONF: this.dir, NO_COLOR: '1' };
    delete env.LXD_DIR;
    return env;
  }

  run(args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): Promise<CmdResult> {
    return run('lxc', args, { env: this.env, timeoutMs: 60_000, ...opts });
  }

  /** Serves the server over HTTPS and adds it as a trusted remote through a fresh trust token. */
  async addRemote(name: string, d: LxcDriven): Promise<string> {
    const url = await listen(d);
    const token = (await d.lxc(['config', 'trust', 'add', '-q', '--name', `${name}-client`])).stdout.trim();
    await this.run(['remote', 'add', name, token]);
    return url;
  }

  /** Runs `lxc monitor <remote>:` and triggers events until one with the action shows up. */
  async monitorSees(remote: string, action: string, trigger: () => Promise<void>): Promise<boolean> {
    const child = spawn('lxc', ['monitor', `${remote}:`, '--type=lifecycle'], { env: this.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      for (let i = 0; i < 50 && !out.includes(action); i++) {
        await trigger();
        await new Promise((r) => setTimeout(r, 200));
      }
      return out.includes(action);
    } finally {
      child.kill('SIGTERM');
    }
  }
}
