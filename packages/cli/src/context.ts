// Per-invocation state: global flags, the CLI config, clients per remote, and the process streams.
import type { LodgeClient } from '@lodge/client';
import { configDir, defaultConfig, loadConfig, saveConfig, type CliConfig } from './config.js';
import { debugLogger, type DebugLog } from './debug.js';
import { connect, connectImageServer, parseRemote, remoteProject, type ConnectOptions, type RemoteRef } from './remotes.js';
import { LineReader } from './prompt.js';

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
  private readonly clients = new Map<string, Promise<LodgeClient>>();
  private readonly imageClients = new Map<string, Promise<LodgeClient>>();
  private lines?: LineReader;
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
    this.confPromise ??= this.flags.forceLocal ? Promise.resolve(defaultConfig()) : loadConfig(this.confDir, this.io.env);
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

  connectOptions(): ConnectOptions {
    return { env: this.io.env, confDir: this.confDir, project: this.flags.project, debug: this.debug };
  }

  /** A private LXD server (lxc's GetInstanceServer); one client per remote, shared by concurrent callers. */
  async client(remote: string): Promise<LodgeClient> {
    const conf = await this.conf();
    let c = this.clients.get(remote);
    if (!c) {
      c = connect(conf, remote, this.connectOptions());
      this.clients.set(remote, c);
    }
    return c;
  }

  /** An image server of the lxd protocol (lxc's GetImageServer): public remotes without a client certificate. */
  async imageClient(remote: string): Promise<LodgeClient> {
    const conf = await this.conf();
    const r = conf.remotes[remote];
    if (r && !r.public) return this.client(remote);
    let c = this.imageClients.get(remote);
    if (!c) {
      c = connectImageServer(conf, remote, this.connectOptions());
      this.imageClients.set(remote, c);
    }
    return c;
  }

  /** Adds a client made elsewhere (remote add) so that close() closes it. */
  adopt(c: LodgeClient): LodgeClient {
    this.imageClients.set(`#${this.imageClients.size}`, Promise.resolve(c));
    return c;
  }

  /** One line of stdin without its newline (lxc's ReadStdin); "EOF" when stdin ends first. */
  readLine(): Promise<string> {
    this.lines ??= new LineReader(this.io.stdin);
    return this.lines.line();
  }

  /** A password from the terminal without echo, else a line of stdin (term.ReadPassword, then ReadStdin). */
  readPassword(): Promise<string> {
    this.lines ??= new LineReader(this.io.stdin);
    return this.lines.password();
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
    for (const c of [...this.clients.values(), ...this.imageClients.values()]) void c.then((x) => x.close()).catch(() => undefined);
    this.clients.clear();
    this.imageClients.clear();
    this.lines?.close();
  }
}
