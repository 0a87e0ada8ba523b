// lodge-helper file operations against a real unprivileged LXC container made by the test and against a
// stopped container's rootfs: round trips, ranges, symlinks, special files, and escapes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { FileError } from '../../../packages/daemon/dist/sys/helper.js';
import { fileDelete, fileGet, filePut, fileStat, type FileTarget } from '../../../packages/daemon/dist/sys/helper-files.js';
import { attachIn, execIn, makeRootfs, readAll, rejectsWith, skip, startContainer } from '../helpers/lxc-container.js';

async function getText(target: FileTarget, path: string): Promise<string> {
  return (await readAll((await fileGet(target, path)).content)).toString();
}


test('lodge-helper in a running unprivileged container', { skip, timeout: 240_000 }, async (t) => {
  const c = await startContainer(t);
  const running: FileTarget = { pid: c.pid };
  await t.test('files: content, mode and ownership round trip as seen in the container', async () => {
    await filePut(running, '/root/f1', { uid: 1000, gid: 1001, mode: 0o640 }, 'hello\n');
    const { header, content } = await fileGet(running, '/root/f1');
    assert.deepEqual({ ...header, mtime: 0 }, { type: 'file', uid: 1000, gid: 1001, mode: 0o640, size: 6, mtime: 0 });
    assert.ok(Math.abs(header.mtime - Date.now() / 1000) < 3600);
    assert.equal((await readAll(content)).toString(), 'hello\n');
    assert.equal((await execIn(c, { command: ['stat', '-c', '%u %g %a', '/root/f1'] })).stdout, '1000 1001 640\n');
    // The rootfs holds the container's own ids (idmapped mount, no shifting).
    const onDisk = await stat(join(c.rootfs, 'root/f1'));
    assert.deepEqual([onDisk.uid, onDisk.gid], [1000, 1001]);

    // Default: 0644, owned by the container's root; a file made in the container reads back.
    await filePut(running, '/root/f2', {}, Buffer.from('x'));
    assert.deepEqual(await fileStat(running, '/root/f2').then((h) => [h.uid, h.gid, h.mode]), [0, 0, 0o644]);
    await execIn(c, { uid: 1000, gid: 1000, command: ['sh', '-c', 'echo made-inside > /tmp/inside; chmod 4750 /tmp/inside'] });
    const inside = await fileGet(running, '/tmp/inside');
    assert.deepEqual([inside.header.uid, inside.header.gid, inside.header.mode], [1000, 1000, 0o4750]);
    assert.equal((await readAll(inside.content)).toString(), 'made-inside\n');

    // Large binary content streams both ways intact.
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await filePut(running, '/root/big', {}, Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
    const back = await readAll((await fileGet(running, '/root/big')).content);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
  });

  await t.test('files: a range of a regular file (HTTP Range), the header keeping the whole size', async () => {
    await filePut(running, '/root/range', {}, '0123456789');
    const part = await fileGet(running, '/root/range', { range: { offset: 3, length: 4 } });
    assert.equal(part.header.size, 10);
    assert.equal((await readAll(part.content)).toString(), '3456');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 8 } })).content)).toString(), '89');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 0, length: 0 } })).content)).toString(), '');
    assert.equal((await readAll((await fileGet(running, '/root/range', { range: { offset: 20, length: 5 } })).content)).toString(), '');
    const big = randomBytes(300 * 1024);
    await filePut(running, '/root/range-big', {}, big);
    const mid = await readAll((await fileGet(running, '/root/range-big', { range: { offset: 100_000, length: 150_000 } })).content);
    assert.ok(mid.equals(big.subarray(100_000, 250_000)));
    // A directory ignores the range: its listing comes in the header.
    assert.ok((await fileGet(running, '/root', { range: { offset: 1, length: 1 } })).header.entries?.includes('range'));
  });

  await t.test('files: overwrite keeps owner and mode, append never creates', async () => {
    await filePut(running, '/root/w', { mode: 0o600, uid: 5, gid: 6 }, 'first version\n');
    await filePut(running, '/root/w', { mode: 0o777, uid: 0, gid: 0 }, 'second\n');
    let h = await fileStat(running, '/root/w');
    assert.deepEqual([h.uid, h.gid, h.mode, h.size], [5, 6, 0o600, 7]);
    await filePut(running, '/root/w', { append: true, mode: 0o644 }, 'more\n');
    assert.equal(await getText(running, '/root/w'), 'second\nmore\n');
    h = await fileStat(running, '/root/w');
    assert.equal(h.mode, 0o600);
    const e = await rejectsWith(filePut(running, '/root/not-there', { append: true }, 'x'), 'ENOENT');
    assert.equal(e.status, 404);
    await rejectsWith(fileStat(running, '/root/not-there'), 'ENOENT');
    await rejectsWith(filePut(running, '/no/such/dir/f', {}, 'x'), 'ENOENT');
    await rejectsWith(filePut(running, '/root', {}, 'x'), 'EISDIR');
    assert.equal((await rejectsWith(filePut(running, '/proc/version', {}, 'x'), 'EACCES')).status, 403);
    assert.match(await getText(running, '/proc/version'), /^Linux version/);
  });

  await t.test('files: directories and deletion', async () => {
    await filePut(running, '/root/d1', { type: 'directory' });
    let h = await fileStat(running, '/root/d1');
    assert.deepEqual([h.type, h.uid, h.gid, h.mode], ['directory', 0, 0, 0o750]);
    await filePut(running, '/root/d1', { type: 'directory', mode: 0o700 }); // exists: no-op
    assert.equal((await fileStat(running, '/root/d1')).mode, 0o750);
    await filePut(running, '/root/d1/sub', { type: 'directory', mode: 0o755, uid: 1000, gid: 1000 });
    h = await fileStat(running, '/root/d1/sub');
    assert.deepEqual([h.uid, h.gid, h.mode], [1000, 1000, 0o755]);
    await filePut(running, '/root/d1/f', {}, 'x');
    const listing = await fileGet(running, '/root/d1');
    assert.equal(listing.content, undefined);
    assert.deepEqual(listing.header.entries?.sort(), ['f', 'sub']);
    assert.ok((await fileGet(running, '/')).header.entries?.includes('etc'));
    await rejectsWith(fileDelete(running, '/root/d1'), 'ENOTEMPTY');
    await fileDelete(running, '/root/d1/f');
    await fileDelete(running, '/root/d1/sub');
    await fileDelete(running, '/root/d1');
    await rejectsWith(fileStat(running, '/root/d1'), 'ENOENT');
    await rejectsWith(fileDelete(running, '/root/d1'), 'ENOENT');
  });

  await t.test('files: symlinks are created verbatim and read with LXD target rules', async () => {
    await filePut(running, '/root/target', {}, 'target content');
    await filePut(running, '/root/l1', { type: 'symlink' }, 'target');
    await filePut(running, '/root/l2', { type: 'symlink' }, '../../../../../etc/passwd');
    await filePut(running, '/root/l3', { type: 'symlink' }, '/nonexistent/x');
    const l1 = await fileGet(running, '/root/l1');
    assert.deepEqual([l1.header.type, l1.header.mode, l1.header.target, l1.content], ['symlink', 0o777, '/root/target', undefined]);
    assert.equal((await fileStat(running, '/root/l2')).target, '/etc/passwd');
    assert.equal((await fileStat(running, '/root/l3')).target, '/nonexistent/x');
    assert.equal((await execIn(c, { command: ['readlink', '/root/l2'] })).stdout, '../../../../../etc/passwd\n');
    await filePut(running, '/root/l1', { type: 'symlink' }, 'target'); // same target: no-op
    await rejectsWith(filePut(running, '/root/l1', { type: 'symlink' }, 'other'), 'EEXIST');
    await rejectsWith(filePut(running, '/root/target', { type: 'symlink' }, 'x'), 'EEXIST');
    // Writes follow a final symlink, inside the container (as LXD).
    await filePut(running, '/root/l1', {}, 'via link');
    assert.equal(await getText(running, '/root/target'), 'via link');
    await fileDelete(running, '/root/l1');
    assert.equal(await getText(running, '/root/target'), 'via link');
  });

  await t.test('files: in-container mounts are seen by a running container, not on disk', async () => {
    const m = await execIn(c, { command: ['sh', '-c', 'mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t && echo on-tmpfs > /mnt/t/x'] });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(await getText(running, '/mnt/t/x'), 'on-tmpfs\n');
    await rejectsWith(fileStat({ root: c.rootfs }, '/mnt/t/x'), 'ENOENT');
    await execIn(c, { command: ['umount', '/mnt/t'] });
  });

  await t.test('files: FIFOs, devices and sockets give an error at once, never a hang', async () => {
    await execIn(c, { command: ['mkfifo', '/tmp/fifo'] });
    for (const op of [
      () => fileGet(running, '/tmp/fifo'),
      () => filePut(running, '/tmp/fifo', {}, 'x'),
      () => filePut(running, '/tmp/fifo', { append: true }, 'x'),
      () => fileGet(running, '/dev/null'),
    ]) {
      const started = Date.now();
      const e = await rejectsWith(Promise.race([op(), new Promise((_, rej) => setTimeout(() => rej(new Error('hung')), 5000))]), 'EINVAL');
      assert.ok(Date.now() - started < 2000);
      assert.equal(e.status, 400);
    }
    assert.equal((await fileStat(running, '/tmp/fifo').catch((e: FileError) => e.code)), 'EINVAL');
  });

  await t.test('escapes: running container', async (tt) => {
    await escapeChecks(tt, running);
  });

  await t.test('escapes: paths swapped by the container during operations never reach the host or hang', async (tt) => {
    const marker = await mkdtemp(join(tmpdir(), 'lodge-marker-'));
    tt.after(() => rm(marker, { recursive: true, force: true }));
    await writeFile(join(marker, 'secret'), 'HOST-SECRET\n');
    // In the container: /root/sw flips between a real directory and a symlink to the host
    // marker's path; /root/sw2 flips between a regular file and a FIFO.
    const { file, args } = attachIn(c, {
      command: [
        'sh',
        '-c',
        `while :; do rm -rf /root/sw /root/sw2; mkdir /root/sw; echo inside > /root/sw/secret; echo data > /root/sw2; ` +
          `rm -rf /root/sw /root/sw2; ln -s ${marker} /root/sw; mkfifo /root/sw2; done`,
      ],
    });
    const swapper = spawn(file, args, { stdio: 'ignore' });
    tt.after(() => swapper.kill('SIGKILL'));
    const seen = new Set<string>();
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const started = Date.now();
      const results = await Promise.allSettled([
        getText(running, '/root/sw/secret'),
        filePut(running, '/root/sw/secret', { append: true }, 'PWNED\n'),
        getText(running, '/root/sw2'),
      ]);
      // A hang never returns; 10 s only tells one apart from a slow round on a loaded two-core CI machine.
      assert.ok(Date.now() - started < 10_000, 'an operation hung');
      for (const r of results) {
        if (r.status === 'fulfilled') seen.add(r.value === undefined ? 'ok' : `read:${r.value.trim()}`);
        else seen.add((r.reason as FileError).code);
      }
    }
    swapper.kill('SIGKILL');
    tt.diagnostic(`outcomes: ${JSON.stringify([...seen])}`);
    assert.ok(!seen.has('read:HOST-SECRET'), [...seen].join(' '));
    // Reads see only what the container itself wrote: its shell's "inside"/"data" and our appends, in any
    // interleaving (two appends can land in one round of a slow swapper, or between its open and its write).
    const containerBytes = /^read:[insdeatPWNED\n]*$/;
    const errors = ['ENOENT', 'EINVAL', 'EAGAIN', 'EISDIR'];
    assert.ok(
      [...seen].every((s) => s === 'ok' || errors.includes(s) || containerBytes.test(s)),
      [...seen].join(' '),
    );
    assert.equal(await readFile(join(marker, 'secret'), 'utf8'), 'HOST-SECRET\n');
    assert.deepEqual(await readdir(marker), ['secret']);
  });

  await t.test('the helper refuses a pid that is not in a container', async () => {
    const e = await rejectsWith(fileGet({ pid: process.pid }, '/etc/hostname'), 'EPERM');
    assert.match(e.message, /shares the helper's mount namespace/);
    await rejectsWith(fileGet({ pid: 2 ** 31 - 2 }, '/etc/hostname'), 'ESRCH');
  });
});

test('lodge-helper on a stopped container rootfs', { skip, timeout: 120_000 }, async (t) => {
  const rootfs = join(await makeRootfs(t), 'rootfs');
  const stopped: FileTarget = { root: rootfs };

  await t.test('files: round trip with the ids stored on disk', async () => {
    await filePut(stopped, '/root/f', { uid: 1000, gid: 1001, mode: 0o604 }, 'offline\n');
    const { header, content } = await fileGet(stopped, '/root/f');
    assert.deepEqual([header.type, header.uid, header.gid, header.mode, header.size], ['file', 1000, 1001, 0o604, 8]);
    assert.equal((await readAll(content)).toString(), 'offline\n');
    const onDisk = await stat(join(rootfs, 'root/f'));
    assert.deepEqual([onDisk.uid, onDisk.gid, onDisk.mode & 0o7777], [1000, 1001, 0o604]);
    assert.equal((await fileStat(stopped, '/sbin/init')).target, '/bin/busybox');
    assert.equal((await fileStat(stopped, '/etc/hostname')).uid, 0);
  });

  await t.test('escapes: stopped container', async (tt) => {
    await escapeChecks(tt, stopped);
  });
});

/** Every way out we know of, through the helper: none may read or write the host. */
async function escapeChecks(t: TestContext, target: FileTarget): Promise<void> {
  const marker = await mkdtemp(join(tmpdir(), 'lodge-marker-'));
  t.after(() => rm(marker, { recursive: true, force: true }));
  await writeFile(join(marker, 'secret'), 'HOST-SECRET\n');
  const shadowBefore = await readFile('/etc/shadow').catch(() => Buffer.alloc(0));
  const up = '../'.repeat(16);
  const sym = (path: string, to: string): Promise<void> => filePut(target, path, { type: 'symlink' }, to);

  await filePut(target, '/root/esc', { type: 'directory' });
  await sym('/root/esc/abs', `${marker}/secret`); // absolute symlink to a host file
  await sym('/root/esc/rel', `${up}${marker.slice(1)}/secret`); // relative, climbing out
  await sym('/root/esc/dir', marker); // symlinked intermediate directory, absolute
  await sym('/root/esc/reldir', `${up}${marker.slice(1)}`); // ... and relative
  await sym('/root/esc/etc', '/etc'); // shadow-style: resolves to the container's /etc
  await sym('/root/esc/proc', '/proc/1/root'); // a magic link

  // Reads: the last component is never followed, and every other resolution stays inside.
  assert.equal((await fileStat(target, '/root/esc/abs')).type, 'symlink');
  assert.equal((await fileGet(target, '/root/esc/abs')).content, undefined);
  for (const path of [
    '/root/esc/dir/secret',
    '/root/esc/reldir/secret',
    `/${up}${marker.slice(1)}/secret`,
    `/root/${up}${marker.slice(1)}/secret`,
    `${up}${marker.slice(1)}/secret`,
    '/root/esc/etc/shadow',
  ]) {
    await rejectsWith(fileGet(target, path), 'ENOENT');
  }
  // A magic link is refused outright in a running container (ELOOP); a stopped rootfs has no /proc/1.
  await assert.rejects(fileGet(target, '/root/esc/proc/etc/hostname'), FileError);

  // Writes: nothing lands on the host, whatever the route.
  await rejectsWith(filePut(target, '/root/esc/abs', {}, 'PWNED'), 'ENOENT'); // dangling inside: no such dir
  await rejectsWith(filePut(target, '/root/esc/abs', { append: true }, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/rel', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/secret', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/new', {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, `/${up}${marker.slice(1)}/new`, {}, 'PWNED'), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/newdir', { type: 'directory' }), 'ENOENT');
  await rejectsWith(filePut(target, '/root/esc/dir/newlink', { type: 'symlink' }, '/x'), 'ENOENT');
  await rejectsWith(fileDelete(target, '/root/esc/dir/secret'), 'ENOENT');
  await rejectsWith(fileDelete(target, `/${up}${marker.slice(1)}/secret`), 'ENOENT');

  // Writing through a dangling symlink whose directory exists in the container creates the file
  // there (as LXD does), never at the same path on the host.
  const name = `lodge-dangling-${randomBytes(4).toString('hex')}`;
  await sym('/root/esc/dangling', `/tmp/${name}`);
  await filePut(target, '/root/esc/dangling', { mode: 0o600 }, 'inside');
  assert.equal(await getText(target, `/tmp/${name}`), 'inside');
  assert.equal((await fileStat(target, `/tmp/${name}`)).mode, 0o600);
  await assert.rejects(lstat(join('/tmp', name)), 'not created on the host');

  // Deleting through links removes the link only.
  await fileDelete(target, '/root/esc/dir');
  await fileDelete(target, '/root/esc/abs');

  assert.equal(await readFile(join(marker, 'secret'), 'utf8'), 'HOST-SECRET\n');
  assert.deepEqual(await readdir(marker), ['secret']);
  assert.deepEqual(await readFile('/etc/shadow').catch(() => Buffer.alloc(0)), shadowBefore);
}
