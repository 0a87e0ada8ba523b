// Starts lodged and a real LXD 5.0.2 side by side, each in its own directory, both without networks.
import { spawn } from 'node:child_process';
import { mkdir, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));

const lxdPreseed = `config: {}
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

export class Daemon {
  constructor(name, dir, proc) {
    this.name = name;
    this.dir = dir;
    this.proc = proc;
    this.env = { ...process.env, LXD_DIR: dir, LXD_CONF: join(dir, '.lxc-conf') };
  }

  lxc(args, opts = {}) {
    return run('lxc', args, { ...opts, env: this.env });
  }
}

export async function startLodge(base, suffix = '') {
  const dir = join(base, `lodge${suffix}`);
  await mkdir(dir, { recursive: true });
  const proc = spawn(join(repo, 'bin/lodged'), ['--dir', dir, '--no-default-network'], { stdio: 'ignore' });
  await run(join(repo, 'bin/lodged'), ['waitready', '--dir', dir, '--timeout', '60']);
  return new Daemon(`lodge${suffix}`, dir, proc);
}

export async function startLxd(base, suffix = '') {
  const dir = join(base, `lxd${suffix}`);
  await mkdir(dir, { recursive: true });
  const env = { ...process.env, LXD_DIR: dir };
  const proc = spawn('lxd', ['--group', 'root'], { env, stdio: 'ignore' });
  await run('lxd', ['waitready', '--timeout', '60'], { env });
  await run('lxd', ['init', '--preseed'], { env, input: lxdPreseed });
  return new Daemon(`lxd${suffix}`, dir, proc);
}

/** Deletes every instance, then stops the daemon (by its pid) and removes its directory. */
export async function stopDaemon(d) {
  const names = JSON.parse((await d.lxc(['list', '--format', 'json'], { allowFail: true })).stdout || '[]').map((i) => i.name);
  for (const n of names) await d.lxc(['delete', '--force', n], { allowFail: true });
  const exited = new Promise((r) => d.proc.once('exit', r));
  if (d.name.startsWith('lodge')) await run(join(repo, 'bin/lodged'), ['shutdown', '--dir', d.dir], { allowFail: true });
  else await run('lxd', ['shutdown'], { env: d.env, allowFail: true, timeoutMs: 60_000 });
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  // LXD leaves mounts under its dir (shmounts, devlxd); unmount what is ours before removing.
  const mounts = (await run('findmnt', ['-rn', '-o', 'TARGET'], { allowFail: true })).stdout.split('\n').filter((m) => m.startsWith(d.dir)).reverse();
  for (const m of mounts) await run('umount', ['-l', m], { allowFail: true });
  await rm(d.dir, { recursive: true, force: true });
}

export async function leftovers(d) {
  return readdir(join(d.dir, 'containers')).catch(() => []);
}

async function freePort() {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Serves both daemons of one kind over HTTPS on loopback and gives `primary` an lxc config (`primary.pairEnv`)
 * with remotes "src" (primary) and "dst" (secondary), trusted by token.
 */
export async function pairUp(primary, secondary, base) {
  const conf = join(base, `${primary.name}-pair-conf`);
  await mkdir(conf, { recursive: true });
  const env = { ...process.env, LXD_CONF: conf };
  delete env.LXD_DIR;
  for (const [remote, d] of [['src', primary], ['dst', secondary]]) {
    await d.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${await freePort()}`]);
    const token = (await d.lxc(['config', 'trust', 'add', '-q', '--name', `bench-${remote}`])).stdout.trim();
    await run('lxc', ['remote', 'add', remote, token], { env });
  }
  primary.peer = secondary;
  primary.pairEnv = env;
}
