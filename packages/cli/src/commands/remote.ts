// `lodge remote ...`: the remotes in config.yml. `remote add` follows lxc: a certificate add token (addresses tried
// in turn, fingerprint checked, no prompt), or an address whose self-signed certificate is confirmed by fingerprint
// and pinned in servercerts/, then the trust password (or a token) if the server does not trust us yet.
import { statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { decodeCertificateAddToken, type CertificateAddToken, type Server } from '@lodge/api';
import { ensureClientCertificate, fetchServerCertificate, type LodgeClient } from '@lodge/client';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app.js';
import { goRemote, remoteShape, serverCertPath, type CliConfig, type RemoteConfig } from '../config.js';
import type { Context } from '../context.js';
import { mapOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { checkFingerprintAnswer } from '../prompt.js';
import { renderList } from '../output.js';
import { clientFor } from '../remotes.js';
import { withFormat, formatOf, yesNo } from './common.js';

/** A failure that lets the token flow try the next address (lxc's 503 "Unavailable remote server"). */
class Unavailable extends Error {}

export interface ParsedAddress {
  scheme: 'https' | 'unix' | string;
  /** The normalised address saved in config.yml: https://host:port or unix://path. */
  addr: string;
}

/**
 * lxc's address normalisation in `remote add`: Go's url.Parse quirks included (a bare `host:port` parses as a
 * scheme), IPv6 hosts bracketed, port 8443 by default, absolute paths and sockets as unix.
 */
export function normalizeAddress(input: string, isSocket: (p: string) => boolean = socketExists): ParsedAddress {
  let scheme = '';
  let host = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(input);
  if (m && !input.startsWith('[')) {
    const rest = m[2] ?? '';
    scheme = (m[1] ?? '').toLowerCase();
    if (rest.startsWith('//')) {
      host = rest.slice(2).split(/[/?#]/)[0] ?? '';
    } else if (!input.includes('://') && scheme !== 'unix') {
      // "host:port": Go reads "host" as a scheme; lxc puts the whole thing back as the host.
      scheme = '';
      host = input;
    }
  } else if (input.includes(':') && !input.startsWith('/')) {
    // url.Parse fails ("first path segment cannot contain colon", "missing protocol scheme"): all of it is the host.
    host = input;
  }
  let rScheme: string;
  if (scheme !== '') {
    if (scheme !== 'unix' && scheme !== 'https') throw new Error(`Invalid URL scheme "${scheme}" in "${input}"`);
    rScheme = scheme;
  } else if (input.startsWith('/')) rScheme = 'unix';
  else rScheme = isSocket(input) ? 'unix' : 'https';
  let rHost = host !== '' ? host : input;
  let rPort = '8443';
  const hp = splitHostPort(rHost);
  if (hp) [rHost, rPort] = hp;
  if (rScheme === 'unix') {
    rHost = input.replace(/^unix:/, '').replace(/^\/\//, '');
    rPort = '';
  }
  if (rHost.includes(':') && !rHost.startsWith('[')) rHost = `[${rHost}]`;
  return { scheme: rScheme, addr: rPort ? `${rScheme}://${rHost}:${rPort}` : `${rScheme}://${rHost}` };
}

/** net.SplitHostPort: "[::1]:80" and "h:80"; undefined when there is no port or too many colons. */
function splitHostPort(s: string): [string, string] | undefined {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
    return m ? [m[1] ?? '', m[2] ?? ''] : undefined;
  }
  const i = s.lastIndexOf(':');
  if (i < 0 || s.indexOf(':') !== i) return undefined;
  return [s.slice(0, i), s.slice(i + 1)];
}

function socketExists(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** Go's url.Parse scheme of the raw address (for the simplestreams https check). */
function rawScheme(addr: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(addr);
  return m && addr.includes('://') ? (m[1] ?? '').toLowerCase() : '';
}

interface AddFlags {
  acceptCertificate?: boolean;
  password?: string;
  protocol?: string;
  authType?: string;
  public?: boolean;
  domain?: string;
  project?: string;
}

async function ensureCertificate(ctx: Context): Promise<void> {
  const dir = ctx.confDir;
  if (existsSync(join(dir, 'client.crt')) && existsSync(join(dir, 'client.key'))) return;
  ctx.warn('Generating a client certificate. This may take a minute...');
  await ensureClientCertificate(dir);
}

async function writeServerCert(ctx: Context, remote: string, pem: string): Promise<void> {
  const path = serverCertPath(ctx.confDir, remote);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  } catch {
    throw new Error('Could not create server cert dir');
  }
  await writeFile(path, pem.endsWith('\n') ? pem : `${pem}\n`, { mode: 0o644 });
}

/** Connects to a remote being added and reads GET /1.0 (what lxc's ConnectLXD does before returning). */
async function reach(ctx: Context, name: string, remote: RemoteConfig, clientCert: boolean): Promise<{ client: LodgeClient; server: Server }> {
  const client = ctx.adopt(await clientFor({ name, remote, clientCert }, 'default', ctx.connectOptions()));
  return { client, server: await client.get<Server>('/1.0') };
}

/** lxc's findProject: the only project the client may use, "default" when it can, else a choice. */
async function findProject(ctx: Context, client: LodgeClient, wanted: string | undefined): Promise<string> {
  if (wanted) {
    await client.get(`/1.0/projects/${encodeURIComponent(wanted)}`);
    return wanted;
  }
  if (!(await client.hasExtension('projects'))) return '';
  const names = (await client.get<string[]>('/1.0/projects')).map((u) => decodeURIComponent(u.slice(u.lastIndexOf('/') + 1)));
  if (names.length === 0) return '';
  if (names.length === 1) return names[0] ?? '';
  if (names.includes('default')) return '';
  ctx.println('Available projects:');
  for (const n of names) ctx.println(` - ${n}`);
  for (;;) {
    ctx.print('Name of the project to use for this remote: ');
    const answer = await ctx.readLine();
    if (names.includes(answer)) return answer;
    ctx.warn('Invalid input, try again.\n');
  }
}

async function addFromToken(ctx: Context, conf: CliConfig, server: string, addr: string, token: string, fingerprint: string, f: AddFlags): Promise<void> {
  const remote: RemoteConfig = { addr, public: false, protocol: f.protocol, ...(f.authType ? { auth_type: f.authType } : {}), ...(f.domain ? { domain: f.domain } : {}) };
  conf.remotes[server] = remote;
  let client: LodgeClient;
  try {
    ({ client } = await reach(ctx, server, remote, true));
  } catch {
    let cert;
    try {
      cert = await fetchServerCertificate(addr);
    } catch (e) {
      throw new Unavailable(`Unavailable remote server: ${(e as Error).message}`);
    }
    if (cert.fingerprint !== fingerprint) throw new Error(`Certificate fingerprint mismatch between certificate token and server "${addr}"`);
    await writeServerCert(ctx, server, cert.pem);
    try {
      ({ client } = await reach(ctx, server, remote, true));
    } catch (e) {
      throw new Unavailable(`Unavailable remote server: ${(e as Error).message}`);
    }
  }
  try {
    await client.query('POST', '/1.0/certificates', { name: '', type: '', restricted: false, projects: null, certificate: '', password: token, token: false }, { withProject: false });
  } catch (e) {
    throw new Error(`Failed to create certificate: ${(e as Error).message}`);
  }
  let project: string;
  try {
    project = await findProject(ctx, client, f.project);
  } catch (e) {
    throw new Error(`Failed to find project: ${(e as Error).message}`);
  }
  conf.remotes[server] = { ...remote, ...(project ? { project } : {}) };
  await ctx.saveConf(conf);
}

async function runToken(ctx: Context, conf: CliConfig, server: string, token: string, raw: CertificateAddToken, f: AddFlags): Promise<void> {
  await ensureCertificate(ctx);
  for (const a of raw.addresses) {
    try {
      await addFromToken(ctx, conf, server, `https://${a}`, token, raw.fingerprint, f);
      return;
    } catch (e) {
      if (e instanceof Unavailable) continue;
      throw e;
    }
  }
  ctx.println('All server addresses are unavailable');
  ctx.print('Please provide an alternate server address (empty to abort): ');
  const line = await ctx.readLine();
  if (line === '') throw new Error('Failed to add remote');
  await addFromToken(ctx, conf, server, line, token, raw.fingerprint, f);
}

async function add(ctx: Context, args: string[], f: AddFlags): Promise<void> {
  const conf = await ctx.conf();
  const server = args[0] ?? '';
  let addr = args[1] ?? server;
  if (server.includes(':')) throw new Error('Remote names may not contain colons');
  const existing = conf.remotes[server];
  if (existing) throw new Error(`Remote ${server} exists as <${existing.addr}>`);
  const flags: AddFlags = { ...f, protocol: f.protocol || 'lxd' };

  const token = decodeCertificateAddToken(addr);
  if (token) {
    await runToken(ctx, conf, server, addr, token, flags);
    return;
  }
  if (flags.protocol === 'simplestreams') {
    if (rawScheme(addr) !== 'https') throw new Error('Only https URLs are supported for simplestreams');
    conf.remotes[server] = { addr, public: true, protocol: flags.protocol };
    await ctx.saveConf(conf);
    return;
  }
  if (flags.protocol !== 'lxd') throw new Error(`Invalid protocol: ${flags.protocol}`);
  const parsed = normalizeAddress(addr);
  addr = parsed.addr;
  if (flags.authType === 'candid') throw new Error('Candid authentication is not supported by lodge');
  if (parsed.scheme !== 'unix' && !flags.public && (flags.authType === 'tls' || !flags.authType)) await ensureCertificate(ctx);

  let remote: RemoteConfig = { addr, public: false, protocol: flags.protocol, ...(flags.authType ? { auth_type: flags.authType } : {}), ...(flags.domain ? { domain: flags.domain } : {}) };
  conf.remotes[server] = remote;
  const clientCert = !flags.public;

  if (addr.startsWith('unix:')) {
    const { client } = await reach(ctx, server, remote, clientCert);
    const project = await findProject(ctx, client, flags.project);
    conf.remotes[server] = { ...remote, auth_type: 'tls', ...(project ? { project } : {}) };
    await ctx.saveConf(conf);
    return;
  }

  // First with the system CAs (and client.ca); a self-signed server is confirmed by its fingerprint, then pinned.
  let reached: { client: LodgeClient; server: Server };
  try {
    reached = await reach(ctx, server, remote, clientCert);
  } catch {
    const cert = await fetchServerCertificate(addr);
    if (!flags.acceptCertificate) {
      ctx.println(`Certificate fingerprint: ${cert.fingerprint}`);
      ctx.print('ok (y/n/[fingerprint])? ');
      checkFingerprintAnswer(await ctx.readLine(), cert.fingerprint);
    }
    await writeServerCert(ctx, server, cert.pem);
    reached = await reach(ctx, server, remote, clientCert);
  }

  if (flags.public) {
    conf.remotes[server] = { addr, public: true };
    await ctx.saveConf(conf);
    return;
  }
  let srv = reached.server;
  const client = reached.client;
  let authType = flags.authType;
  if (!authType) {
    if (!srv.public && (srv.auth_methods ?? []).includes('candid') && !(srv.auth_methods ?? []).includes('tls')) {
      throw new Error('Candid authentication is not supported by lodge');
    }
    authType = 'tls';
    remote = { ...remote, auth_type: 'tls' };
    conf.remotes[server] = remote;
  }
  if (!srv.public && !(srv.auth_methods ?? []).includes(authType)) throw new Error(`Authentication type '${authType}' not supported by server`);
  if (srv.public) {
    conf.remotes[server] = { addr, public: true };
    await ctx.saveConf(conf);
    return;
  }
  if (srv.auth !== 'trusted') {
    let password = flags.password ?? '';
    if (password === '') {
      ctx.print(`Admin password (or token) for ${server}: `);
      password = await ctx.readPassword();
      ctx.println('');
    }
    await client.certificates.trustMe(password);
    srv = await client.get<Server>('/1.0');
    if (srv.auth !== 'trusted') throw new Error("Server doesn't trust us after authentication");
    ctx.println(`Client certificate now trusted by server: ${server}`);
  }
  const project = await findProject(ctx, client, flags.project);
  conf.remotes[server] = { ...remote, ...(project ? { project } : {}) };
  await ctx.saveConf(conf);
}

async function moveCert(ctx: Context, from: string, to: string): Promise<void> {
  const oldPath = serverCertPath(ctx.confDir, from);
  if (existsSync(oldPath)) await rename(oldPath, serverCertPath(ctx.confDir, to));
}

function modifiable(conf: CliConfig, name: string): RemoteConfig {
  const r = conf.remotes[name];
  if (!r) throw new Error(`Remote ${name} doesn't exist`);
  if (r.static) throw new Error(`Remote ${name} is static and cannot be modified`);
  return r;
}

/** The rows of `remote list` (lxc's defaults for protocol and auth type), sorted by name. */
export function remoteRows(conf: CliConfig): string[][] {
  const rows = Object.entries(conf.remotes).map(([name, r]) => {
    const protocol = r.protocol || 'lxd';
    let auth = r.auth_type || (r.addr.startsWith('unix:') ? 'file access' : protocol === 'simplestreams' ? 'none' : 'tls');
    if (auth === 'candid' && r.domain) auth = `${auth} (${r.domain})`;
    return [name === conf['default-remote'] ? `${name} (current)` : name, r.addr, protocol, auth, yesNo(r.public), yesNo(r.static === true), 'NO'];
  });
  return sortRows(rows);
}

export function registerRemote(program: Command, app: App): void {
  const remote = app.group(program, 'remote', 'Manage the list of remote servers');
  app
    .leaf(
      remote,
      'add',
      {
        usage: '[<remote>] <IP|FQDN|URL|token>',
        summary: 'Add new remote servers',
        description:
          'Add new remote servers\n\nURL for remote resources must be HTTPS (https://).\n\nBasic authentication can be used when combined with the "simplestreams" protocol:\n  lodge remote add some-name https://LOGIN:PASSWORD@example.com/some/path --protocol=simplestreams',
        min: 1,
        max: 2,
      },
      // lxc's --project of `remote add` names the remote's project; here the global flag of the same name receives it.
      async (ctx, args, opts) => add(ctx, args, { ...(opts as AddFlags), project: (opts.project as string | undefined) ?? ctx.flags.project }),
    )
    .option('--accept-certificate', 'Accept certificate')
    .option('--password <password>', 'Remote admin password')
    .option('--protocol <protocol>', 'Server protocol (lxd or simplestreams)')
    .option('--auth-type <type>', 'Server authentication type (tls or candid)')
    .option('--public', 'Public image server')
    .option('--domain <domain>', 'Candid domain to use')
    .option('--project <project>', 'Project to use for the remote');

  app.leaf(remote, 'get-default', { summary: 'Show the default remote' }, async (ctx) => {
    ctx.println((await ctx.conf())['default-remote']);
  });

  withFormat(
    app.leaf(remote, 'list', { summary: 'List the available remotes', aliases: ['ls'] }, async (ctx, _args, opts) => {
      const conf = await ctx.conf();
      const raw = Object.fromEntries(Object.entries(conf.remotes).map(([k, r]) => [k, goRemote(r)]));
      ctx.print(renderList(formatOf(opts), ['NAME', 'URL', 'PROTOCOL', 'AUTH TYPE', 'PUBLIC', 'STATIC', 'GLOBAL'], remoteRows(conf), raw, mapOf(remoteShape)));
    }),
  );

  app.leaf(remote, 'rename', { usage: '<remote> <new-name>', summary: 'Rename remotes', aliases: ['mv'], min: 2, max: 2 }, async (ctx, args) => {
    const [from = '', to = ''] = args;
    const conf = await ctx.conf();
    const r = modifiable(conf, from);
    if (conf.remotes[to]) throw new Error(`Remote ${to} already exists`);
    await moveCert(ctx, from, to);
    conf.remotes[to] = r;
    delete conf.remotes[from];
    if (conf['default-remote'] === from) conf['default-remote'] = to;
    await ctx.saveConf(conf);
  });

  app.leaf(remote, 'remove', { usage: '<remote>', summary: 'Remove remotes', aliases: ['rm'], min: 1, max: 1 }, async (ctx, args) => {
    const name = args[0] ?? '';
    const conf = await ctx.conf();
    modifiable(conf, name);
    if (conf['default-remote'] === name) throw new Error("Can't remove the default remote");
    delete conf.remotes[name];
    await rm(serverCertPath(ctx.confDir, name), { force: true });
    await ctx.saveConf(conf);
  });

  app.leaf(remote, 'switch', { usage: '<remote>', summary: 'Switch the default remote', aliases: ['set-default'], min: 1, max: 1 }, async (ctx, args) => {
    const name = args[0] ?? '';
    const conf = await ctx.conf();
    if (!conf.remotes[name]) throw new Error(`Remote ${name} doesn't exist`);
    conf['default-remote'] = name;
    await ctx.saveConf(conf);
  });

  app.leaf(remote, 'set-url', { usage: '<remote> <URL>', summary: 'Set the URL for the remote', min: 2, max: 2 }, async (ctx, args) => {
    const [name = '', url = ''] = args;
    const conf = await ctx.conf();
    const r = modifiable(conf, name);
    conf.remotes[name] = { ...r, addr: url };
    await ctx.saveConf(conf);
  });
}
