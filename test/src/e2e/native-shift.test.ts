// lodge-helper shift: unshifting a container tree received from LXD (host-shifted ids) in place and
// shifting it back, with everything chown would lose (setuid/setgid, file capabilities with their
// v3 rootid, POSIX ACL qualifiers); symlinks never followed (host files untouched, also while a
// concurrent process swaps directories for symlinks), hard links mapped once, mount points not
// crossed, trees deeper than PATH_MAX; and the time for a Debian-sized tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, mkdir, mkdtemp, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FileError, helperPath } from '../../../packages/daemon/dist/sys/helper.js';
import { shiftTree } from '../../../packages/daemon/dist/sys/helper-shift.js';
import { run } from '../helpers/run.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

/** LXD's default map for an unprivileged container: host 100000.. is the container's 0..65535. */
const LXD_MAP = [
  { Isuid: true, Isgid: false, Hostid: 100000, Nsid: 0, Maprange: 65536 },
  { Isuid: false, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 },
];

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-shift-'));
  // rm -rf (fts) removes trees deeper than PATH_MAX, which fs.rm cannot.
  t.after(() => run('rm', ['-rf', '--one-file-system', dir]));
  return dir;
}

interface Owner {
  uid: number;
  gid: number;
  mode: number;
}

async function owner(path: string): Promise<Owner> {
  const s = await lstat(path);
  return { uid: s.uid, gid: s.gid, mode: s.mode };
}

/** `getcap -n` of one file: "cap_net_raw=ep" (v2, or v3 with rootid 0) or "cap_net_admin=ep [rootid=100000]". */
async function getcap(path: string): Promise<string> {
  const out = (await run('getcap', ['-n', path])).stdout.trim();
  return out.slice(out.indexOf(' ') + 1);
}

/** The ACL entries with numeric qualifiers (access and default), without comments. */
async function getfacl(path: string): Promise<string[]> {
  const out = (await run('getfacl', ['-n', '-p', '-c', path])).stdout;
  return out.split('\n').filter((l) => l !== '');
}

/**
 * A rootfs as LXD leaves it on disk (container root = 100000, uid 1000 = 101000), plus host
 * files outside it that a followed symlink would reach.
 */
async function lxdTree(dir: string): Promise<{ root: string; host: string }> {
  const root = join(dir, 'rootfs');
  const host = join(dir, 'host');
  await mkdir(host);
  // Host files a followed symlink would change: one in the range unshifting maps, one (root's)
  // in the range --reverse maps.
  await writeFile(join(host, 'shifted'), 'host\n');
  await chown(join(host, 'shifted'), 100000, 100000);
  await writeFile(join(host, 'root'), 'host\n');

  for (const d of ['', 'etc', 'usr', 'usr/bin', 'dev', 'srv', 'tmp', 'home']) await mkdir(join(root, d), { recursive: true });
  await mkdir(join(root, 'home/user/private'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'c1\n');
  await writeFile(join(root, 'home/user/notes'), 'mine\n');
  await writeFile(join(root, 'home/user/private/secret'), 's\n');
  await writeFile(join(root, 'srv/shared'), 'acl\n');
  await writeFile(join(root, 'srv/foreign'), 'owned by an id outside the map\n');
  for (const bin of ['su', 'sg', 'ping', 'nscap', 'othercap']) await copyFile('/bin/true', join(root, 'usr/bin', bin));
  await link(join(root, 'etc/hostname'), join(root, 'usr/hostname-link'));
  await run('mkfifo', [join(root, 'tmp/fifo')]);
  await run('mknod', [join(root, 'dev/null'), 'c', '1', '3']);
  await symlink('/etc/passwd', join(root, 'etc/passwd-link'));
  await symlink(host, join(root, 'hostdir'));
  await symlink('../../host/root', join(root, 'srv/escape'));

  await run('chown', ['-hR', '100000:100000', root]);
  await run('chown', ['-hR', '101000:101000', join(root, 'home/user')]);
  await lchown(join(root, 'srv/foreign'), 200000, 200001);
  await chown(join(root, 'usr/bin/sg'), 100000, 101000);
  await chmod(join(root, 'usr/bin/su'), 0o4755);
  await chmod(join(root, 'usr/bin/sg'), 0o2755);
  await chmod(join(root, 'tmp'), 0o1777);
  await chmod(join(root, 'home/user/private'), 0o000);
  await chmod(join(root, 'home/user/notes'), 0o640);
  // v2 capability (what host root's setcap writes), v3 for the container's root, v3 for another namespace's root.
  await run('setcap', ['cap_net_raw+ep', join(root, 'usr/bin/ping')]);
  await run('setcap', ['-n', '100000', 'cap_net_admin+ep', join(root, 'usr/bin/nscap')]);
  await run('setcap', ['-n', '300000', 'cap_sys_time+ep', join(root, 'usr/bin/othercap')]);
  // A capability on a setuid file: both must survive.
  await run('setcap', ['-n', '100000', 'cap_chown+ep', join(root, 'usr/bin/su')]);
  await chmod(join(root, 'usr/bin/su'), 0o4755);
  await run('setfacl', ['-m', 'u:101000:rw,g:101000:r,u:200005:r', join(root, 'srv/shared')]);
  await run('setfacl', ['-d', '-m', 'u:101000:rwx,g:100000:rx', join(root, 'srv')]);
  return { root, host };
}

/** Everything the test checks, by path relative to the root. */
async function snapshot(root: string): Promise<Record<string, unknown>> {
  const paths = [
    '', 'etc', 'etc/hostname', 'home/user', 'home/user/notes', 'home/user/private', 'home/user/private/secret', 'usr/hostname-link',
    'usr/bin/su', 'usr/bin/sg', 'usr/bin/ping', 'usr/bin/nscap', 'usr/bin/othercap', 'tmp', 'tmp/fifo', 'dev/null', 'etc/passwd-link',
    'hostdir', 'srv', 'srv/shared', 'srv/foreign', 'srv/escape',
  ];
  const out: Record<string, unknown> = {};
  for (const p of paths) out[p] = await owner(join(root, p));
  for (const p of ['usr/bin/su', 'usr/bin/ping', 'usr/bin/nscap', 'usr/bin/othercap']) out[`caps ${p}`] = await getcap(join(root, p));
  out['acl srv'] = await getfacl(join(root, 'srv'));
  out['acl srv/shared'] = await getfacl(join(root, 'srv/shared'));
  return out;
}

async function hostState(host: string): Promise<unknown> {
  return { passwd: await owner('/etc/passwd'), shifted: await owner(join(host, 'shifted')), root: await owner(join(host, 'root')), dir: await owner(host) };
}

test('unshift an LXD tree and shift it back: owners, modes, capabilities, ACLs; symlinks not followed', { skip }, async (t) => {
  const { root, host } = await lxdTree(await tempDir(t));
  const hostBefore = await hostState(host);
  const before = await snapshot(root);
  assert.deepEqual(before['caps usr/bin/nscap'], 'cap_net_admin=ep [rootid=100000]');

  const r = await shiftTree(root, LXD_MAP);
  const after = await snapshot(root);
  // 26 names (the root and the hard link's second name included), 25 inodes: all but srv/foreign change.
  assert.deepEqual(r, { entries: 26, changed: 24 });
  const expect = (p: string, uid: number, gid: number, mode: number): void => assert.deepEqual(after[p], { uid, gid, mode }, p);
  const dir = 0o40000, file = 0o100000;
  expect('', 0, 0, dir | 0o755);
  expect('etc/hostname', 0, 0, file | 0o644);
  expect('home/user', 1000, 1000, dir | 0o755);
  expect('home/user/notes', 1000, 1000, file | 0o640);
  expect('home/user/private', 1000, 1000, dir | 0o000);
  expect('home/user/private/secret', 1000, 1000, file | 0o644);
  expect('usr/hostname-link', 0, 0, file | 0o644); // the hard link: mapped once, same inode
  expect('usr/bin/su', 0, 0, file | 0o4755);
  expect('usr/bin/sg', 0, 1000, file | 0o2755);
  expect('tmp', 0, 0, dir | 0o1777);
  expect('tmp/fifo', 0, 0, 0o10000 | 0o644);
  expect('dev/null', 0, 0, 0o20000 | 0o644);
  expect('srv/foreign', 200000, 200001, file | 0o644);
  for (const l of ['etc/passwd-link', 'hostdir', 'srv/escape']) expect(l, 0, 0, 0o120000 | 0o777);
  assert.equal(after['caps usr/bin/ping'], 'cap_net_raw=ep', 'v2 stays v2');
  assert.equal(after['caps usr/bin/nscap'], 'cap_net_admin=ep', 'v3 rootid 100000 -> 0 (which the host reads as v2)');
  assert.equal(after['caps usr/bin/othercap'], 'cap_sys_time=ep [rootid=300000]', 'another namespace root stays');
  assert.equal(after['caps usr/bin/su'], 'cap_chown=ep');
  assert.deepEqual(after['acl srv/shared'], ['user::rw-', 'user:1000:rw-', 'user:200005:r--', 'group::r--', 'group:1000:r--', 'mask::rw-', 'other::r--']);
  assert.deepEqual(after['acl srv'], [
    'user::rwx', 'group::r-x', 'other::r-x', 'default:user::rwx', 'default:user:1000:rwx', 'default:group::r-x', 'default:group:0:r-x', 'default:mask::rwx', 'default:other::r-x',
  ]);
  assert.deepEqual(await hostState(host), hostBefore, 'nothing outside the root changed');

  // Running it again changes nothing: the ranges are disjoint.
  assert.deepEqual(await shiftTree(root, LXD_MAP), { entries: 26, changed: 0 });

  const back = await shiftTree(root, LXD_MAP, { reverse: true });
  assert.deepEqual(back, { entries: 26, changed: 24 });
  const again = await snapshot(root);
  // Back to the original, except the v2 capability: shifting to host ids writes it as v3 for the
  // container's root (a v2 one would be valid in every namespace on the host).
  assert.equal(again['caps usr/bin/ping'], 'cap_net_raw=ep [rootid=100000]');
  assert.deepEqual({ ...again, 'caps usr/bin/ping': before['caps usr/bin/ping'] }, before);
  assert.deepEqual(await hostState(host), hostBefore, 'nothing outside the root changed (--reverse would make root-owned files 100000)');
});

test('hard links are mapped once even when a mapped id falls in the source range', { skip }, async (t) => {
  const root = join(await tempDir(t), 'rootfs');
  await mkdir(join(root, 'a'), { recursive: true });
  await mkdir(join(root, 'b'));
  await writeFile(join(root, 'a/f'), 'x');
  await link(join(root, 'a/f'), join(root, 'b/f'));
  await link(join(root, 'a/f'), join(root, 'f3'));
  // 0 -> 1000, and 1000 is itself in [0, 65536): a second visit would give 2000.
  const map = [{ Isuid: true, Isgid: true, Hostid: 0, Nsid: 1000, Maprange: 65536 }];
  assert.deepEqual(await shiftTree(root, map), { entries: 6, changed: 4 });
  for (const p of ['', 'a', 'b', 'a/f', 'b/f', 'f3']) assert.equal((await lstat(join(root, p))).uid, 1000, p);
  // Across runs it is not idempotent with such a map (documented): a second run maps again.
  await shiftTree(root, map);
  assert.equal((await lstat(join(root, 'a/f'))).uid, 2000);
});

test('mount points inside the tree are not crossed', { skip }, async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'rootfs');
  const other = join(dir, 'other');
  await mkdir(join(root, 'mnt'), { recursive: true });
  await mkdir(other);
  await writeFile(join(other, 'f'), 'x');
  await run('chown', ['-R', '100000:100000', root, other]);
  await run('mount', ['--bind', other, join(root, 'mnt')]);
  try {
    assert.deepEqual(await shiftTree(root, LXD_MAP), { entries: 1, changed: 1 });
  } finally {
    await run('umount', [join(root, 'mnt')]);
  }
  assert.equal((await lstat(root)).uid, 0);
  assert.equal((await lstat(join(other, 'f'))).uid, 100000);
  assert.equal((await lstat(other)).uid, 100000);
});

test('a tree deeper than PATH_MAX is walked whole', { skip }, async (t) => {
  const root = join(await tempDir(t), 'rootfs');
  await mkdir(root);
  await chown(root, 100000, 100000);
  const depth = 2500; // 2 bytes a level: 5000 > PATH_MAX
  const cwd = process.cwd();
  const walkDown = (fn: (level: number) => void): void => {
    process.chdir(root);
    try {
      for (let i = 0; i < depth; i++) {
        fn(i);
        process.chdir('d');
      }
      fn(depth);
    } finally {
      process.chdir(cwd);
    }
  };
  walkDown((i) => {
    if (i === depth) return;
    mkdirSync('d');
    chownSync('d', 100000 + (i % 3), 100000);
    writeFileSync('f', '');
    chownSync('f', 101000, 101000);
  });
  assert.deepEqual(await shiftTree(root, LXD_MAP), { entries: 2 * depth + 1, changed: 2 * depth + 1 });
  walkDown((i) => {
    if (i === depth) return;
    assert.equal(lstatSync('d').uid, i % 3);
    assert.equal(lstatSync('f').uid, 1000);
  });
});

test('errors: a missing root, a symlinked root, overlapping maps', { skip }, async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(shiftTree(join(dir, 'nope'), LXD_MAP), (e: unknown) => e instanceof FileError && e.code === 'ENOENT');
  await symlink('/etc', join(dir, 'link'));
  await assert.rejects(shiftTree(join(dir, 'link'), LXD_MAP), (e: unknown) => e instanceof FileError && (e.code === 'ENOTDIR' || e.code === 'ELOOP'));
  const overlapping = [...LXD_MAP, { Isuid: true, Isgid: false, Hostid: 165535, Nsid: 70000, Maprange: 10 }];
  await assert.rejects(shiftTree(dir, overlapping), (e: unknown) => e instanceof FileError && e.code === 'EINVAL' && /overlaps/.test(e.message));
  const r = spawnSync(helperPath(), ['shift', '--root', dir], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /"errno":22/);
});

// The swapper: replaces each directory of the tree by a symlink to the host directory and puts it
// back, as fast as it can, until told to stop.
const SWAPPER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { dirs, target, stop } = workerData;
const flag = new Int32Array(stop);
let swaps = 0;
while (Atomics.load(flag, 0) === 0) {
  for (const d of dirs) {
    try {
      fs.renameSync(d, d + '.away');
      fs.symlinkSync(target, d);
      fs.unlinkSync(d);
      fs.renameSync(d + '.away', d);
      swaps++;
    } catch {}
  }
}
Atomics.store(flag, 1, swaps);
`;

test('directories swapped for symlinks to a host directory during the walk: host files untouched', { skip }, async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'rootfs');
  const host = join(dir, 'host');
  mkdirSync(host);
  // Host files in both ranges: 100000 would become 0 when unshifting through a followed link, 0
  // would become 100000 with --reverse.
  for (let i = 0; i < 50; i++) writeFileSync(join(host, `h${i}`), '');
  for (let i = 0; i < 25; i++) chownSync(join(host, `h${i}`), 100000, 100000);
  const dirs: string[] = [];
  for (let i = 0; i < 40; i++) {
    const d = join(root, `d${i}`);
    mkdirSync(join(d, 'sub'), { recursive: true });
    for (let j = 0; j < 100; j++) writeFileSync(join(d, j % 2 ? `f${j}` : `sub/f${j}`), '');
    dirs.push(d, join(d, 'sub'));
  }
  await run('chown', ['-R', '100000:100000', root]);
  const hostBefore = readdirSync(host).map((n) => [n, lstatSync(join(host, n)).uid, lstatSync(join(host, n)).gid]);
  const passwdBefore = await owner('/etc/passwd');

  const stop = new SharedArrayBuffer(8);
  const worker = new Worker(SWAPPER, { eval: true, workerData: { dirs, target: host, stop } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  t.after(async () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    await exited;
  });
  let walks = 0;
  const started = Date.now();
  try {
    while (Date.now() - started < 4000 || walks < 10) {
      // Errors from names that vanished mid-walk are fine; what matters is where chown went.
      await shiftTree(root, LXD_MAP, { reverse: walks % 2 === 1 }).catch((e: unknown) => {
        if (!(e instanceof FileError)) throw e;
      });
      walks++;
    }
  } finally {
    Atomics.store(new Int32Array(stop), 0, 1);
    await exited;
  }
  const swaps = Atomics.load(new Int32Array(stop), 1);
  t.diagnostic(`${walks} walks while ${swaps} directory/symlink swaps happened`);
  assert.ok(swaps > 100, `the swapper ran (${swaps} swaps)`);
  assert.deepEqual(
    readdirSync(host).map((n) => [n, lstatSync(join(host, n)).uid, lstatSync(join(host, n)).gid]),
    hostBefore,
  );
  assert.deepEqual(await owner('/etc/passwd'), passwdBefore);
  assert.equal(lstatSync(host).uid, 0);
});

test('a Debian-sized tree (about 20,000 entries of /usr): time, setuid bits and capabilities kept', { skip }, async (t) => {
  const root = join(await tempDir(t), 'rootfs');
  mkdirSync(root);
  // Attributes only: empty files with the modes, owners, links and xattrs of /usr's.
  const candidates = ['/usr/bin', '/usr/sbin', '/usr/libexec', '/usr/lib/x86_64-linux-gnu', '/usr/include', '/usr/share/doc', '/usr/share/locale', '/usr/share/man', '/usr/lib'];
  let entries = 1;
  for (const c of candidates) {
    if (entries >= 20000) break;
    if (!existsSync(c)) continue;
    const to = join(root, c.slice(1).replaceAll('/', '_'));
    await run('cp', ['-a', '--attributes-only', c, to]);
    entries += (await run('find', [to, '-printf', '.'])).stdout.length; // readdir's recursive mode follows symlinks
  }
  const count = async (): Promise<{ special: string; caps: string }> => ({
    special: (await run('find', [root, '-perm', '/6000', '-printf', '%P %m\n'])).stdout.split('\n').sort().join('\n'),
    caps: (await run('getcap', ['-r', root])).stdout.split('\n').sort().join('\n').replaceAll(root, ''),
  });
  const original = await count();

  // To host ids (as LXD leaves them), then back: the round trip migration needs.
  let t0 = performance.now();
  const shifted = await shiftTree(root, LXD_MAP, { reverse: true });
  const shiftMs = performance.now() - t0;
  assert.equal((await stat(join(root, 'usr_bin'))).uid, 100000);
  t0 = performance.now();
  const unshifted = await shiftTree(root, LXD_MAP);
  const unshiftMs = performance.now() - t0;
  assert.equal(unshifted.entries, shifted.entries);
  assert.ok(unshifted.entries >= 15000, `${unshifted.entries} entries`);
  assert.ok(unshiftMs < 20_000, `${unshiftMs} ms`);
  // Setuid bits as they were; capabilities too (v2 ones come back as v2 once unshifted).
  const final = await count();
  assert.equal(final.special, original.special);
  assert.equal(final.caps, original.caps);

  // For comparison: chown -R of the same tree (which drops setuid bits and capabilities).
  t0 = performance.now();
  await run('chown', ['-hR', '100000:100000', root]);
  const chownMs = performance.now() - t0;
  t.diagnostic(`${unshifted.entries} entries (${unshifted.changed} changed): shift --reverse ${shiftMs.toFixed(0)} ms, unshift ${unshiftMs.toFixed(0)} ms; chown -hR of the same tree ${chownMs.toFixed(0)} ms`);
});
