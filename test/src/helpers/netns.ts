// A private network + mount namespace for network tests: bridges, dnsmasq and nftables rules never touch the host.
// A holder process keeps the namespaces alive; lodged and every tool a test runs there enter them with nsenter.
// Inside, a fresh sysfs shows the namespace's interfaces, with the host's cgroup mounts moved back on top of it.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startDaemon, stopContainers, type TestDaemon } from './daemon.js';
import { run, type CmdOptions, type CmdResult } from './run.js';

const holderScript = `set -e
aside="$1"
mount --rbind /sys/fs/cgroup "$aside"
mount -t sysfs sysfs /sys
mount --move "$aside" /sys/fs/cgroup
ip link set lo up
echo ready
exec sleep infinity
`;

export class Netns {
  /** State dirs of daemons run inside: their containers are stopped before the namespace goes. */
  readonly daemonDirs: string[] = [];

  private constructor(
    private readonly holder: ChildProcess,
    private readonly aside: string,
    private readonly netId: string,
  ) {}

  get pid(): number {
    return this.holder.pid!;
  }

  /** Command prefix that enters the namespaces. */
  get wrap(): string[] {
    return ['nsenter', '-t', String(this.pid), '-n', '-m', '--'];
  }

  static async create(): Promise<Netns> {
    const aside = await mkdtemp(join(tmpdir(), 'lodge-netns-'));
    const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', holderScript, 'holder', aside], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    holder.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`namespace holder did not start: ${err}`)), 10_000);
      holder.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      holder.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`namespace holder exited (${code}): ${err}`));
      });
    });
    const netId = await readlink(`/proc/${holder.pid}/ns/net`);
    return new Netns(holder, aside, netId);
  }

  exec(cmd: string, args: string[], opts: CmdOptions = {}): Promise<CmdResult> {
    const [w, ...prefix] = this.wrap;
    return run(w!, [...prefix, cmd, ...args], opts);
  }

  /** Pids of every process in this network namespace except the holder (lodged, LXC monitors, containers, dnsmasq). */
  async processes(): Promise<number[]> {
    const out: number[] = [];
    for (const entry of await readdir('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === this.pid) continue;
      const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => '');
      if (ns === this.netId) out.push(pid);
    }
    return out;
  }

  /** Processes of this namespace whose command line contains all the given words. */
  async find(...words: string[]): Promise<number[]> {
    const { readFile } = await import('node:fs/promises');
    const out: number[] = [];
    for (const pid of await this.processes()) {
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (words.every((w) => cmd.some((c) => c.includes(w)))) out.push(pid);
    }
    return out;
  }

  /** Kills what is left in the namespace (by pid, only processes inside it), then the holder; the namespace goes with it. */
  async destroy(): Promise<void> {
    for (const dir of this.daemonDirs) await stopContainers(dir, this.wrap);
    for (let round = 0; round < 3; round++) {
      const pids = await this.processes();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (this.holder.exitCode === null) {
      const exited = new Promise((r) => this.holder.once('exit', r));
      this.holder.kill('SIGKILL');
      await exited;
    }
    await rm(this.aside, { recursive: true, force: true });
  }
}


/** lodged inside a fresh test namespace (with the busybox image); everything is cleaned up after the test. */
export async function startNetDaemon(t: TestContext, opts: { defaultNetwork?: boolean } = {}): Promise<{ ns: Netns; d: TestDaemon }> {
  const ns = await Netns.create();
  let d: TestDaemon;
  try {
    // The daemon's own cleanup (stop it, stop its containers) is registered first, so it runs before the namespace goes.
    d = await startDaemon(t, { wrap: ns.wrap, defaultNetwork: opts.defaultNetwork });
    ns.daemonDirs.push(d.dir);
  } finally {
    t.after(() => ns.destroy());
  }
  await d.withBusybox();
  return { ns, d };
}
