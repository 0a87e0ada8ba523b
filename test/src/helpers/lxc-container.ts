// Real unprivileged LXC containers for the lodge-helper tests, made without lodged: a busybox rootfs,
// idmapped, cgroups of their own; and running a command in one through `lodge-helper attach`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { FileError } from '../../../packages/daemon/dist/sys/helper.js';
import { attachArgs, type AttachOptions, exitStatus } from '../../../packages/daemon/dist/sys/helper-attach.js';
import { busyboxImage } from './images.js';
import { run } from './run.js';

export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const skip = process.getuid?.() !== 0 || spawnSync('lxc-start', ['--version']).status !== 0 ? 'needs root and LXC' : false;

export interface Container {
  lxcpath: string;
  name: string;
  /** Its payload cgroup (lxc.cgroup.dir.container), which attach is given. */
  cgroup: string;
  rootfs: string;
  pid: number;
  /** Host ids of the container's root. */
  rootUid: number;
  rootGid: number;
}

async function subordinateRange(file: string): Promise<[number, number]> {
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [user, start, count] = line.split(':');
    if (user === 'root' && Number(count) >= 65536) return [Number(start), 65536];
  }
  throw new Error(`no subordinate range of 65536 ids for root in ${file}`);
}

/** A busybox rootfs in a fresh directory (mode 0755 so the container's root can reach it). */
export async function makeRootfs(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-native-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await run('tar', ['-C', dir, '-xzf', (await busyboxImage()).unified, 'rootfs']);
  return dir;
}

/** Starts an unprivileged container on a busybox rootfs; stops it and removes it when t ends. */
export async function startContainer(t: TestContext, extraConfig: string[] = []): Promise<Container> {
  const lxcpath = await makeRootfs(t);
  const name = 'c1';
  // Cgroups of their own, as lodged gives its containers (LXC's default name is per container name only).
  const cgroup = `lodge-test-${randomBytes(4).toString('hex')}.payload.${name}`;
  const rootfs = join(lxcpath, 'rootfs');
  const [uidStart, uidCount] = await subordinateRange('/etc/subuid');
  const [gidStart, gidCount] = await subordinateRange('/etc/subgid');
  await mkdir(join(lxcpath, name));
  await writeFile(
    join(lxcpath, name, 'config'),
    [
      `lxc.uts.name = ${name}`,
      `lxc.rootfs.path = dir:${rootfs}`,
      'lxc.rootfs.options = idmap=container',
      `lxc.idmap = u 0 ${uidStart} ${uidCount}`,
      `lxc.idmap = g 0 ${gidStart} ${gidCount}`,
      'lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed',
      'lxc.net.0.type = empty',
      'lxc.apparmor.profile = unconfined',
      'lxc.init.cmd = /sbin/init',
      'lxc.tty.max = 0',
      `lxc.log.file = ${join(lxcpath, name, 'lxc.log')}`,
      `lxc.cgroup.dir.container = ${cgroup}`,
      `lxc.cgroup.dir.monitor = ${cgroup.replace('.payload.', '.monitor.')}`,
      ...extraConfig,
      '',
    ].join('\n'),
  );
  t.after(async () => {
    await run('lxc-stop', ['-P', lxcpath, '-n', name, '-k'], { allowFail: true, timeoutMs: 30_000 });
  });
  await run('lxc-start', ['-P', lxcpath, '-n', name]);
  await run('lxc-wait', ['-P', lxcpath, '-n', name, '-s', 'RUNNING', '-t', '30']);
  const pid = Number((await run('lxc-info', ['-P', lxcpath, '-n', name, '-pH'])).stdout.trim());
  assert.ok(pid > 1, 'container init pid');
  return { lxcpath, name, cgroup, rootfs, pid, rootUid: uidStart, rootGid: gidStart };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The helper's argv for a command in c, with a plain PATH unless o says otherwise. */
export function attachIn(c: Container, o: Partial<AttachOptions> & { command: string[] }): { file: string; args: string[] } {
  return attachArgs({ lxcpath: c.lxcpath, name: c.name, cgroup: c.cgroup, env: { PATH }, ...o });
}

export function execIn(c: Container, o: Partial<AttachOptions> & { command: string[] }, input = '', env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  const { file, args } = attachIn(c, o);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitStatus(code, signal), stdout, stderr }));
    child.stdin.on('error', () => undefined); // EPIPE when the helper exits without reading (cannot attach)
    child.stdin.end(input);
  });
}

export async function readAll(r: Readable | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r ?? []) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Awaits p, which must fail with a FileError of this code; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<FileError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FileError, `expected a FileError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}
