// A real LXD 5.0.2 (Debian's lxd) in its own directory for compatibility tests: dir pool, no network.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type CmdOptions, type CmdResult } from './run.js';

const preseed = `config: {}
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
`;

export class TestLxd {
  constructor(
    readonly dir: string,
    private readonly proc: ChildProcess,
  ) {}

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, LXD_DIR: this.dir, LXD_CONF: join(this.dir, '.lxdconf') };
  }

  lxc(args: string[], opts: CmdOptions = {}): Promise<CmdResult> {
    return run('lxc', args, { ...opts, env: { ...this.env, ...opts.env } });
  }

  async stop(): Promise<void> {
    const names = JSON.parse((await this.lxc(['list', '--format', 'json'], { allowFail: true })).stdout || '[]') as { name: string }[];
    for (const n of names) await this.lxc(['delete', '--force', n.name], { allowFail: true });
    const exited = new Promise((r) => this.proc.once('exit', r));
    if (this.proc.exitCode === null) await run('lxd', ['shutdown', '--timeout', '60'], { env: this.env, allowFail: true, timeoutMs: 90_000 });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000).unref())]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    // LXD leaves mounts in its directory (shmounts, devlxd, guestapi); only ours, under this test's dir.
    const mounts = (await run('findmnt', ['-rn', '-o', 'TARGET'], { allowFail: true })).stdout.split('\n').filter((m) => m.startsWith(this.dir)).reverse();
    for (const m of mounts) await run('umount', ['-l', m], { allowFail: true });
  }
}

/** env: extra environment for the daemon (e.g. SSL_CERT_FILE to trust a test CA). */
export async function startLxd(t: TestContext, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<TestLxd> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-lxd-'));
  await chmod(dir, 0o711);
  const proc = spawn('lxd', ['--group', 'root'], { env: { ...process.env, ...opts.env, LXD_DIR: dir }, stdio: 'ignore' });
  const lxd = new TestLxd(dir, proc);
  t.after(async () => {
    await lxd.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await run('lxd', ['waitready', '--timeout', '60'], { env: lxd.env });
  await run('lxd', ['init', '--preseed'], { env: lxd.env, input: preseed });
  return lxd;
}
