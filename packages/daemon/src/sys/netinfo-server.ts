// A long-lived `lodge-helper netinfo --serve`: container interfaces without starting a process per request.
import type { ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import type { InstanceStateNetwork } from '@lodge/api';
import { checkPid, helperPath } from './helper.js';
import { netInfo, parseNetinfo } from './helper-netinfo.js';
import { ProcessRunner, type Runner } from './runner.js';

type Networks = Map<number, Record<string, InstanceStateNetwork>>;

/** The helper answers one line per request; beyond this many pids a request is split. */
const MAX_PIDS = 1000;
const TIMEOUT_MS = 10_000;

export class NetinfoServer {
  private child?: ChildProcess;
  private lines?: Interface;
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  /** Requests go one at a time: answers come back in order on one pipe. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: Runner = new ProcessRunner(),
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Interfaces of each readable pid; pids that cannot be read are left out. Falls back to one-shot runs. */
  read(pids: number[]): Promise<Networks> {
    const unique = [...new Set(pids)];
    if (unique.length === 0) return Promise.resolve(new Map());
    unique.forEach(checkPid);
    const next = this.queue.then(() => this.askAll(unique));
    this.queue = next.catch(() => undefined);
    return next.catch(() => netInfo(unique, { runner: this.runner, env: this.env }));
  }

  close(): void {
    this.child?.stdin?.end();
    this.reset();
  }

  private async askAll(pids: number[]): Promise<Networks> {
    const out: Networks = new Map();
    for (let i = 0; i < pids.length; i += MAX_PIDS) {
      const chunk = pids.slice(i, i + MAX_PIDS);
      for (const [k, v] of parseNetinfo(await this.ask(chunk), chunk, true)) out.set(k, v);
    }
    return out;
  }

  private ask(pids: number[]): Promise<string> {
    const child = this.ensure();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child?.kill('SIGKILL');
        this.reset();
        reject(new Error('lodge-helper netinfo --serve did not answer'));
      }, TIMEOUT_MS);
      this.waiting.push((line) => {
        clearTimeout(timer);
        if (line === undefined) reject(new Error('lodge-helper netinfo --serve exited'));
        else resolve(line);
      });
      child.stdin!.write(`${pids.join(' ')}\n`);
    });
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = this.runner.spawn(helperPath(this.env), ['netinfo', '--serve'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (l) => this.waiting.shift()?.(l));
    child.on('exit', () => {
      if (this.child === child) this.reset();
    });
    child.on('error', () => {
      if (this.child === child) this.reset();
    });
    child.stdin!.on('error', () => undefined);
    // An idle server must not keep the daemon's event loop alive; it exits when its stdin closes.
    child.unref();
    for (const s of [child.stdin, child.stdout]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  private reset(): void {
    this.lines?.close();
    this.lines = undefined;
    this.child = undefined;
    for (const w of this.waiting.splice(0)) w(undefined);
  }
}
