// Unit tests for tar entry safety: nothing may land or point outside the target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TarSafety, normalizeMember, UnsafeTarError } from './tar-safety.js';

const file = (name: string) => ({ name, type: 'file' as const });
const dir = (name: string) => ({ name, type: 'directory' as const });
const sym = (name: string, linkname: string) => ({ name, type: 'symlink' as const, linkname });
const hard = (name: string, linkname: string) => ({ name, type: 'link' as const, linkname });

test('member names are normalised; absolute paths and ".." are refused', () => {
  assert.equal(normalizeMember('./rootfs//etc/'), 'rootfs/etc');
  assert.throws(() => normalizeMember('/etc/passwd'), UnsafeTarError);
  assert.throws(() => normalizeMember('rootfs/../../etc/passwd'), UnsafeTarError);
  assert.throws(() => normalizeMember('..'), UnsafeTarError);
});

test('a normal image passes, including absolute symlinks inside the rootfs', () => {
  const s = new TarSafety();
  for (const e of [
    file('metadata.yaml'),
    dir('rootfs/'),
    dir('rootfs/bin'),
    file('rootfs/bin/busybox'),
    sym('rootfs/bin/sh', 'busybox'),
    sym('rootfs/sbin/init', '/bin/busybox'),
    sym('rootfs/etc/mtab', '../proc/self/mounts'),
    hard('rootfs/bin/ash', 'rootfs/bin/busybox'),
    { name: 'rootfs/dev/null', type: 'character-device' as const },
  ]) {
    s.check(e);
  }
});

test('relative symlinks that climb out of the rootfs are refused', () => {
  const s = new TarSafety();
  assert.throws(() => s.check(sym('rootfs/etc/evil', '../../../etc/passwd')), /points outside/);
  assert.throws(() => new TarSafety().check(sym('rootfs/x', '..')), /points outside/);
});

test('symlinks outside a rootfs may not be absolute', () => {
  assert.throws(() => new TarSafety().check(sym('templates/x', '/etc/shadow')), /points outside/);
  assert.throws(() => new TarSafety().check(sym('metadata.yaml', '/etc/passwd')), /points outside/);
});

test('entries through an earlier symlink are refused', () => {
  const s = new TarSafety();
  s.check(sym('rootfs/etc', '/host'));
  assert.throws(() => s.check(file('rootfs/etc/passwd')), /goes through the symbolic link/);
  const s2 = new TarSafety();
  s2.check(sym('rootfs/d', 'sub'));
  assert.throws(() => s2.check(dir('rootfs/d')), /replaces a symbolic link/);
});

test('hard links must point at earlier regular members', () => {
  const s = new TarSafety();
  assert.throws(() => s.check(hard('rootfs/shadow', '/etc/shadow')), /outside|not an earlier/);
  assert.throws(() => s.check(hard('rootfs/x', 'rootfs/not-yet')), /not an earlier/);
  assert.throws(() => s.check(hard('rootfs/y', '../../etc/passwd')), /outside/);
  s.check(sym('rootfs/l', '/etc/shadow'));
  assert.throws(() => s.check(hard('rootfs/z', 'rootfs/l')), /not an earlier/);
});

test('device nodes are only allowed inside a root filesystem', () => {
  assert.throws(() => new TarSafety().check({ name: 'dev-outside', type: 'block-device' }), /special file/);
});

test('a rootOf for backups treats each snapshot rootfs as a root', () => {
  const s = new TarSafety((p) => /^backup\/(container|snapshots\/[^/]+)\/rootfs(\/|$)/.exec(p)?.[0].replace(/\/$/, ''));
  s.check(sym('backup/container/rootfs/bin/sh', '/bin/busybox'));
  assert.throws(() => s.check(sym('backup/container/rootfs/x', '../../index.yaml')), /points outside/);
});
