// LXC driver: writes container configs and runs lxc-start/stop/freeze through the Runner; reads state from cgroups.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupPids, processInCgroup, readCgroup, readCgroupNumber, readKernelFile, removeCgroup, writeCgroup } from '../../sys/cgroup.js';
import type { Runner } from '../../sys/runner.js';
import type { CgroupSetting } from './limits.js';

/** The LXC name and payload cgroup of a container (see naming.ts). */
export interface CgroupNames {
  lxc: string;
  cgroupPayload: string;
}

const freezeTimeoutMs = 10_000;

export type RuntimeStatus = 'Running' | 'Stopped' | 'Frozen';

export interface RuntimeState {
  status: RuntimeStatus;
  pid: number;
}

export interface RuntimeUsage {
  processes: number;
  cpuNs: number;
  memory: number;
  memoryPeak: number;
  swap: number;
  swapPeak: number;
}

export class LxcDriver {
  constructor(
    private readonly runner: Runner,
    readonly lxcpath: string,
  ) {}

  dir(lxcName: string): string {
    return join(this.lxcpath, lxcName);
  }

  configPath(lxcName: string): string {
    return join(this.dir(lxcName), 'config');
  }

  private pidFile(lxcName: string): string {
    return join(this.dir(lxcName), 'init.pid');
  }

  async writeConfig(lxcName: string, text: string): Promise<void> {
    await mkdir(this.dir(lxcName), { recursive: true, mode: 0o700 });
    await writeFile(this.configPath(lxcName), text, { mode: 0o600 });
  }

  async removeRuntime(lxcName: string): Promise<void> {
    await rm(this.dir(lxcName), { recursive: true, force: true });
  }

  /**
   * The empty cgroups LXC left of a stopped container: it cannot remove one that something was still in when
   * the container stopped, a failed start leaves the monitor's, and it refuses to start while they exist.
   */
  removeCgroups(names: { cgroupMonitor: string; cgroupPayload: string }): void {
    for (const cg of [names.cgroupMonitor, names.cgroupPayload]) removeCgroup(cg);
  }

  /** Starts the container (lxc-start daemonizes its monitor, so it outlives us) and records its init pid. */
  async start(lxcName: string, logFile: string): Promise<number> {
    try {
      await this.runner.run('lxc-start', ['-P', this.lxcpath, '-n', lxcName], { timeoutMs: 120_000 });
    } catch (e) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const errors = log.split('\n').filter((l) => / ERROR /.test(l)).slice(-5).join('\n');
      throw new Error(`Failed to start the container: ${(e as Error).message}${errors ? `\n${errors}` : ''}`);
    }
    const pid = await this.queryPid(lxcName);
    await writeFile(this.pidFile(lxcName), `${pid}\n`);
    return pid;
  }

  async queryPid(lxcName: string): Promise<number> {
    const r = await this.runner.run('lxc-info', ['-P', this.lxcpath, '-n', lxcName, '-p', '-H']);
    const pid = Number(r.stdout.trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('The container started but has no init process');
    return pid;
  }

  /**
   * Clean stop within timeoutS seconds, then killed; or killed at once. LXC picks the halt signal: SIGRTMIN+3 for an
   * init that blocks it (systemd, which ignores SIGPWR), SIGPWR otherwise.
   */
  async stop(lxcName: string, opts: { force: boolean; timeoutS: number }): Promise<void> {
    const args = ['-P', this.lxcpath, '-n', lxcName];
    if (opts.force) args.push('-k');
    else args.push('-t', String(opts.timeoutS < 0 ? 30 : opts.timeoutS));
    await this.runner.run('lxc-stop', args, { okCodes: [0, 2], timeoutMs: (Math.max(opts.timeoutS, 30) + 30) * 1000 });
    await rm(this.pidFile(lxcName), { force: true });
  }

  /** Asks init to reboot; LXC restarts the container in place. */
  async reboot(lxcName: string): Promise<void> {
    await this.runner.run('lxc-stop', ['-P', this.lxcpath, '-n', lxcName, '-r']);
  }

  /**
   * Freezes through the container's freezer cgroup, as lxc-freeze does, without spawning it and going through
   * LXC's command socket (two processes per frozen copy or snapshot). FREEZING turns FROZEN once every task stops.
   */
  async freeze(names: CgroupNames): Promise<void> {
    if (!(await writeCgroup(names.cgroupPayload, 'freezer.state', 'FROZEN'))) throw new Error(`The container "${names.lxc}" is not running`);
    const deadline = Date.now() + freezeTimeoutMs;
    for (let delay = 1; (await readCgroup(names.cgroupPayload, 'freezer.state')) !== 'FROZEN'; delay = Math.min(delay * 2, 50)) {
      if (Date.now() > deadline) {
        await writeCgroup(names.cgroupPayload, 'freezer.state', 'THAWED');
        throw new Error(`Failed to freeze "${names.lxc}": its processes did not stop within ${freezeTimeoutMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async unfreeze(names: CgroupNames): Promise<void> {
    if (!(await writeCgroup(names.cgroupPayload, 'freezer.state', 'THAWED'))) throw new Error(`The container "${names.lxc}" is not running`);
  }

  /** Running/Frozen/Stopped from the cgroup and the recorded init pid: no process is spawned. */
  async state(lxcName: string, cgroupDir: string): Promise<RuntimeState> {
    // A few bytes in the page cache: read like the kernel files beside it (see readKernelFile).
    const recorded = Number.parseInt(readKernelFile(this.pidFile(lxcName)) ?? '', 10);
    let pid = Number.isInteger(recorded) && recorded > 0 && (await processInCgroup(recorded, cgroupDir)) ? recorded : 0;
    if (pid === 0) {
      if ((await cgroupPids(cgroupDir)).length === 0) return { status: 'Stopped', pid: 0 };
      // Started by someone else or the pid file was lost: ask LXC once and remember.
      pid = await this.queryPid(lxcName).catch(() => 0);
      if (pid === 0) return { status: 'Stopped', pid: 0 };
      await writeFile(this.pidFile(lxcName), `${pid}\n`).catch(() => undefined);
    }
    const freezer = await readCgroup(cgroupDir, 'freezer.state');
    return { status: freezer === 'FROZEN' ? 'Frozen' : 'Running', pid };
  }

  async usage(cgroupDir: string): Promise<RuntimeUsage> {
    const [processes, cpuNs, memory, memoryPeak, memsw, memswPeak] = await Promise.all([
      cgroupPids(cgroupDir).then((p) => p.length),
      readCgroupNumber(cgroupDir, 'cpuacct.usage'),
      readCgroupNumber(cgroupDir, 'memory.usage_in_bytes'),
      readCgroupNumber(cgroupDir, 'memory.max_usage_in_bytes'),
      readCgroupNumber(cgroupDir, 'memory.memsw.usage_in_bytes'),
      readCgroupNumber(cgroupDir, 'memory.memsw.max_usage_in_bytes'),
    ]);
    return { processes, cpuNs, memory, memoryPeak, swap: Math.max(memsw - memory, 0), swapPeak: Math.max(memswPeak - memoryPeak, 0) };
  }

  /** Applies limits to a running container, in order. */
  async applyLimits(cgroupDir: string, settings: CgroupSetting[]): Promise<void> {
    for (const s of settings) await writeCgroup(cgroupDir, s.key, s.value);
  }

  async allowDevice(cgroupDir: string, rule: string, allow: boolean): Promise<void> {
    await writeCgroup(cgroupDir, allow ? 'devices.allow' : 'devices.deny', rule);
  }
}
