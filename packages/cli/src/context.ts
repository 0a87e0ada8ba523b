// Per-invocation state: global flags, the CLI config, clients per remote, and the process streams.
import type { LodgeClient } from '@lodge/client';
import { configDir, defaultConfig, loadConfig, saveConfig, type CliConfig } from './config.js';
import { debugLogger, type DebugLog } from './debug.js';
import { connect, parseRemote, remoteProject, type RemoteRef } from './remotes.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalFlags {
  project?: string;
  debug?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  forceLocal?: boolean;
}

export interface Resource extends RemoteRef {
  client: LodgeClient;
}

export class Context {
  private confPromise?: Promise<CliConfig>;
  private readonly clients = new Map<string, LodgeClient>();
  private stdinText?: Promise<string>;
  readonly debug?: DebugLog;

  constructor(
    readonly io: Io,
    readonly flags: GlobalFlags,
  ) {
    if (flags.debug) this.debug = debugLogger((s) => io.stderr.write(s));
  }

  get quiet(): boolean {
    return this.flags.quiet === true;
  }

  get confDir(): string {
    return configDir(this.io.env);
  }

  conf(): Promise<CliConfig> {
    this.confPromise ??= this.flags.forceLocal ? Promise.resolve(defaultConfig()) : loadConfig(this.confDir);
    return this.confPromise;
  }

  async saveConf(conf: CliConfig): Promise<void> {
    await saveConfig(this.confDir, conf);
    this.confPromise = Promise.resolve(conf);
  }

  async ref(raw: string): Promise<RemoteRef> {
    return parseRemote(await this.conf(), raw);
  }

  /** The project commands act in: --project, else the remote's current project. */
  async project(remote: string): Promise<string> {
    return remoteProject(await this.conf(), remote, this.flags.project);
  }

  async client(remote: string): Promise<LodgeClient> {
    const conf = await this.conf();
    // Checked after the await, so concurrent callers (batch actions) share one client and its event stream.
    const existing = this.clients.get(remote);
    if (existing) return existing;
    const c = connect(conf, remote, { env: this.io.env, project: this.flags.project, debug: this.debug });
    this.clients.set(remote, c);
    return c;
  }

  /** Parses `[remote:]name` and connects to the remote. */
  async resolve(raw: string): Promise<Resource> {
    const ref = await this.ref(raw);
    return { ...ref, client: await this.client(ref.remote) };
  }

  print(s: string): void {
    this.io.stdout.write(s);
  }

  println(s = ''): void {
    this.io.stdout.write(`${s}\n`);
  }

  /** Prints unless --quiet. */
  say(s: string): void {
    if (!this.quiet) this.println(s);
  }

  warn(s: string): void {
    this.io.stderr.write(`${s}\n`);
  }

  get stdinIsTTY(): boolean {
    return this.io.stdin.isTTY === true;
  }

  get stdoutIsTTY(): boolean {
    return this.io.stdout.isTTY === true;
  }

  /** All of stdin (read once; later calls get the same text). */
  readStdin(): Promise<string> {
    this.stdinText ??= (async () => {
      const chunks: Buffer[] = [];
      for await (const c of this.io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
      return Buffer.concat(chunks).toString();
    })();
    return this.stdinText;
  }

  /** stdin for `-` values, only when it is not a terminal (lxc's rule). */
  stdinReader(): (() => Promise<string>) | undefined {
    return this.stdinIsTTY ? undefined : () => this.readStdin();
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
