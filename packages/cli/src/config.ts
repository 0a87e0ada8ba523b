// The CLI's own config ($LODGE_CONF/config.yml): default remote, remotes, and the current project per remote.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface RemoteConfig {
  addr: string;
  protocol?: string;
  auth_type?: string;
  public: boolean;
  project?: string;
}

export interface CliConfig {
  'default-remote': string;
  remotes: Record<string, RemoteConfig>;
  aliases: Record<string, string>;
}

/** Remotes every config has, as lxc ships them; only `local` can be reached for now. */
export const staticRemotes: Record<string, RemoteConfig> = {
  local: { addr: 'unix://', public: false },
  images: { addr: 'https://images.linuxcontainers.org', protocol: 'simplestreams', public: true },
  ubuntu: { addr: 'https://cloud-images.ubuntu.com/releases', protocol: 'simplestreams', public: true },
  'ubuntu-daily': { addr: 'https://cloud-images.ubuntu.com/daily', protocol: 'simplestreams', public: true },
};

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.LODGE_CONF) return env.LODGE_CONF;
  return join(env.HOME || homedir(), '.config', 'lodge');
}

export function defaultConfig(): CliConfig {
  return { 'default-remote': 'local', remotes: structuredClone(staticRemotes), aliases: {} };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses config.yml; a missing or partial file is completed with the defaults. */
export function parseConfig(text: string): CliConfig {
  const raw: unknown = parse(text);
  const conf = defaultConfig();
  if (!isObject(raw)) return conf;
  if (typeof raw['default-remote'] === 'string') conf['default-remote'] = raw['default-remote'];
  if (isObject(raw.remotes)) {
    for (const [name, r] of Object.entries(raw.remotes)) {
      if (!isObject(r) || typeof r.addr !== 'string') continue;
      conf.remotes[name] = {
        addr: r.addr,
        public: r.public === true,
        ...(typeof r.protocol === 'string' ? { protocol: r.protocol } : {}),
        ...(typeof r.auth_type === 'string' ? { auth_type: r.auth_type } : {}),
        ...(typeof r.project === 'string' && r.project ? { project: r.project } : {}),
      };
    }
  }
  if (isObject(raw.aliases)) {
    for (const [k, v] of Object.entries(raw.aliases)) if (typeof v === 'string') conf.aliases[k] = v;
  }
  return conf;
}

export async function loadConfig(dir: string): Promise<CliConfig> {
  try {
    return parseConfig(await readFile(join(dir, 'config.yml'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig();
    throw e;
  }
}

/** Writes config.yml atomically (a crash never leaves half a file). */
export async function saveConfig(dir: string, conf: CliConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, 'config.yml');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, stringify(conf, { indentSeq: false }), { mode: 0o600 });
  await rename(tmp, path);
}
