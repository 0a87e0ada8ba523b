// A real lodged in a temporary directory for one test, driven by lodge, lxc or the client library.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LodgeClient } from '@lodge/client';
import { unmountUnder } from './mounts.js';
import { lodgeBin, lodgedBin } from './paths.js';
import { run, type CmdOptions, type CmdResult } from './run.js';

export interface DaemonOptions {
  args?: string[];
  /** Command prefix lodged (and lxc-stop at cleanup) run under, e.g. nsenter into a test network namespace. */
  wrap?: string[];
  /** Let lodged create lodgebr0 (only inside a test network namespace). */
  defaultNetwork?: boolean;
  /** Extra environment for lodged (e.g. NODE_EXTRA_CA_CERTS for a test CA). */
  env?: NodeJS.ProcessEnv;
}

export class TestDaemon {
  private proc?: ChildProcess;
  private stderr = '';
  readonly client: LodgeClient;

  constructor(
    readonly dir: string,
    private readonly opts: DaemonOptions,
  ) {
    this.client = LodgeClient.unix(this.socket);
  }

  get socket(): string {
    return join(this.dir, 'unix.socket');
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, LXD_DIR: this.dir, LXD_CONF: join(this.dir, '.lxdconf'), LODGE_DIR: this.dir, LODGE_CONF: join(this.dir, '.lodgeconf'), NO_COLOR: '1' };
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get log(): string {
    return this.stderr;
  }

  async start(): Promise<void> {
    // A default network is only ever allowed inside a test namespace: it would create a bridge on the host.
    if (this.opts.defaultNetwork && !this.opts.wrap) throw new Error('defaultNetwork needs a test network namespace (wrap)');
    const args = ['--dir', this.dir, ...(this.opts.defaultNetwork ? [] : ['--no-default-network']), ...(this.opts.args ?? [])];
    const [cmd, ...prefix] = [...(this.opts.wrap ?? []), lodgedBin];
    const proc = spawn(cmd!, [...prefix, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.opts.env } });
    this.proc = proc;
    proc.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    const ready = await run(lodgedBin, ['waitready', '--dir', this.dir, '--timeout', '30'], { allowFail: true });
    if (ready.code !== 0) throw new Error(`lodged did not start: ${this.stderr}`);
  }

  /** Clean shutdown through the API (as `lodged shutdown`). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    await run(lodgedBin, ['shutdown', '--dir', this.dir], { allowFail: true });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }

  /** Simulates a crash: SIGKILL, no cleanup. */
  async kill9(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  lxc(args: string[], opts: CmdOptions = {}): Promise<CmdResult> {
    return run('lxc', args, { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** A daemon with the busybox test image imported as "busybox". */
  async withBusybox(): Promise<this> {
    const { busyboxImage } = await import('./images.js');
    const img = await busyboxImage();
    await this.lxc(['image', 'import', img.unified, '--alias', 'busybox']);
    return this;
  }

  lodge(args: string[], opts: CmdOptions = {}): Promise<CmdResult> {
    return run(lodgeBin, args, { ...opts, env: { ...this.env, ...opts.env } });
  }
}

/** Stops every container a test daemon left behind (they outlive the daemon by design). */
export async function stopContainers(dir: string, wrap: string[] = []): Promise<void> {
  const lxcpath = join(dir, 'containers');
  const names = await readdir(lxcpath).catch(() => [] as string[]);
  const [cmd, ...prefix] = [...wrap, 'lxc-stop'];
  await Promise.all(names.map((n) => run(cmd!, [...prefix, '-P', lxcpath, '-n', n, '-k'], { allowFail: true })));
}

/** Starts lodged in a fresh temp dir; stops it and its containers and removes the dir when the test ends. */
export async function startDaemon(t: TestContext, opts: DaemonOptions = {}): Promise<TestDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-test-'));
  const d = new TestDaemon(dir, opts);
  t.after(async () => {
    d.client.close();
    await d.stop();
    await stopContainers(dir, opts.wrap);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  await d.start();
  return d;
}
