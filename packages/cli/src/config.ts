// The CLI's own config ($LODGE_CONF/config.yml, as lxc's): default remote, remotes, aliases; plus the client
// certificate (client.crt/client.key) and the pinned server certificates (servercerts/<remote>.crt) beside it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { field, mapOf, struct, type StructShape } from './format/gotypes.js';
import { toYaml } from './output.js';

export interface RemoteConfig {
  addr: string;
  auth_type?: string;
  domain?: string;
  project?: string;
  protocol?: string;
  public: boolean;
  /** local, ubuntu and ubuntu-daily: never saved, never changed. */
  static?: boolean;
}

export interface CliConfig {
  'default-remote': string;
  remotes: Record<string, RemoteConfig>;
  aliases: Record<string, string>;
}

/** The remotes lxc 5.0 keeps whatever the file says. */
export const staticRemotes: Record<string, RemoteConfig> = {
  local: { addr: 'unix://', public: false, static: true },
  ubuntu: { addr: 'https://cloud-images.ubuntu.com/releases', protocol: 'simplestreams', public: true, static: true },
  'ubuntu-daily': { addr: 'https://cloud-images.ubuntu.com/daily', protocol: 'simplestreams', public: true, static: true },
};

/** The images remote is a default one, not a static one: it can be removed or renamed. */
export const imagesRemote: RemoteConfig = { addr: 'https://images.linuxcontainers.org', protocol: 'simplestreams', public: true };

const remoteFields = [
  field('Addr', 'string', { yaml: 'addr' }),
  field('AuthType', 'string', { yaml: 'auth_type', yamlOmitempty: true }),
  field('Domain', 'string', { yaml: 'domain', yamlOmitempty: true }),
  field('Project', 'string', { yaml: 'project', yamlOmitempty: true }),
  field('Protocol', 'string', { yaml: 'protocol', yamlOmitempty: true }),
  field('Public', 'bool', { yaml: 'public' }),
  field('Global', 'bool', { noYaml: true }),
  field('Static', 'bool', { noYaml: true }),
];

/** config.Remote as lxc encodes it: untagged JSON names, yaml tags (remote list -f json|yaml). */
export const remoteShape: StructShape = struct(...remoteFields);

/** The Go field names of a remote, for remoteShape. */
export function goRemote(r: RemoteConfig): Record<string, unknown> {
  return {
    Addr: r.addr,
    AuthType: r.auth_type ?? '',
    Domain: r.domain ?? '',
    Project: r.project ?? '',
    Protocol: r.protocol ?? '',
    Public: r.public,
    Global: false,
    Static: r.static === true,
  };
}

const configShape: StructShape = struct(field('default-remote', 'string'), field('remotes', mapOf(remoteShape)), field('aliases', mapOf('string')));

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.LODGE_CONF) return env.LODGE_CONF;
  return join(env.HOME || homedir(), '.config', 'lodge');
}

export function defaultConfig(): CliConfig {
  return { 'default-remote': 'local', remotes: { ...structuredClone(staticRemotes), images: { ...imagesRemote } }, aliases: {} };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Parses config.yml as lxc's LoadConfig does: the file's remotes (non-public ones default to auth type tls),
 * then the static remotes on top (keeping their project), the default remote from $LODGE_REMOTE, the file or "local".
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = {}): CliConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new Error(`Unable to decode the configuration: ${(e as Error).message}`);
  }
  const conf: CliConfig = { 'default-remote': '', remotes: {}, aliases: {} };
  if (!isObject(raw)) raw = {};
  const obj = raw as Record<string, unknown>;
  if (typeof obj['default-remote'] === 'string') conf['default-remote'] = obj['default-remote'];
  if (isObject(obj.remotes)) {
    for (const [name, r] of Object.entries(obj.remotes)) {
      if (!isObject(r)) continue;
      const remote: RemoteConfig = { addr: typeof r.addr === 'string' ? r.addr : '', public: r.public === true };
      const authType = str(r.auth_type) ?? (remote.public ? undefined : 'tls');
      if (authType) remote.auth_type = authType;
      if (str(r.domain)) remote.domain = str(r.domain);
      if (str(r.project)) remote.project = str(r.project);
      if (str(r.protocol)) remote.protocol = str(r.protocol);
      conf.remotes[name] = remote;
    }
  }
  if (isObject(obj.aliases)) {
    for (const [k, v] of Object.entries(obj.aliases)) if (typeof v === 'string') conf.aliases[k] = v;
  }
  for (const [name, r] of Object.entries(staticRemotes)) {
    const project = conf.remotes[name]?.project;
    conf.remotes[name] = { ...structuredClone(r), ...(project ? { project } : {}) };
  }
  conf['default-remote'] = env.LODGE_REMOTE || conf['default-remote'] || 'local';
  const images = conf.remotes.images;
  if (images && images.addr === imagesRemote.addr && images.protocol !== imagesRemote.protocol) conf.remotes.images = { ...imagesRemote };
  return conf;
}

export async function loadConfig(dir: string, env: NodeJS.ProcessEnv = {}): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, 'config.yml'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const conf = defaultConfig();
      if (env.LODGE_REMOTE) conf['default-remote'] = env.LODGE_REMOTE;
      return conf;
    }
    throw new Error(`Unable to read the configuration file: ${(e as Error).message}`);
  }
  return parseConfig(text, env);
}

/** config.yml as lxc writes it (yaml.v2, keys sorted); static remotes other than local are left out. */
export function configYaml(conf: CliConfig): string {
  const remotes: Record<string, Record<string, unknown>> = {};
  for (const [name, r] of Object.entries(conf.remotes)) {
    if (name !== 'local' && name in staticRemotes) continue;
    remotes[name] = goRemote(r);
  }
  return toYaml(configShape, { 'default-remote': conf['default-remote'], remotes, aliases: conf.aliases });
}

/** Writes config.yml atomically (a crash never leaves half a file). */
export async function saveConfig(dir: string, conf: CliConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, 'config.yml');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, configYaml(conf), { mode: 0o600 });
  await rename(tmp, path);
}

export function serverCertPath(dir: string, remote: string): string {
  return join(dir, 'servercerts', `${remote}.crt`);
}
