// Security defaults end to end: user namespaces and idmaps, isolated maps, privileged on request, seccomp, capabilities.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { test } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

async function initPid(d: TestDaemon, name: string): Promise<number> {
  return (await d.client.get<{ pid: number }>(`/1.0/instances/${name}/state`)).pid;
}

/** Whether the instance's volume is layered (a dir pool on a filesystem without reflinks). */
function layered(d: TestDaemon, name: string): boolean {
  return existsSync(`${d.dir}/storage-pools/default/layers/containers/default_${name}/upper`);
}

async function status(pid: number, field: string): Promise<string> {
  return (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n').find((l) => l.startsWith(`${field}:`))?.split(/\s+/)[1] ?? '';
}

test('containers are unprivileged, seccomp-filtered and without dangerous capabilities; images are never uid-shifted', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const pid = await initPid(d, 'c1');
  const uidMap = (await readFile(`/proc/${pid}/uid_map`, 'utf8')).trim().split(/\s+/).map(Number);
  assert.equal(uidMap[0], 0);
  assert.ok((uidMap[1] ?? 0) > 0, 'container root is not host root');
  assert.equal(await status(pid, 'Seccomp'), '2');
  const capBnd = BigInt(`0x${await status(pid, 'CapBnd')}`);
  for (const cap of [16 /* sys_module */, 17 /* sys_rawio */, 25 /* sys_time */]) assert.equal((capBnd >> BigInt(cap)) & 1n, 0n, `cap ${cap} dropped`);
  // Files on disk keep container ids (0 for the image's, and for what the container's root writes); the container
  // sees them through an idmapped mount (a flat volume) or idmapped layers (a layered one).
  const pool = `${d.dir}/storage-pools/default`;
  const fp = (await d.client.images.alias('busybox')).target;
  assert.equal((await stat(`${pool}/images/${fp}/rootfs/bin/busybox`)).uid, 0);
  await d.lxc(['exec', 'c1', '--', 'touch', '/root/made']);
  const written = layered(d, 'c1') ? `${pool}/layers/containers/default_c1/upper/root/made` : `${pool}/containers/default_c1/rootfs/root/made`;
  assert.equal((await stat(written)).uid, 0);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'stat', '-c', '%u', '/bin/busybox'])).stdout.trim(), '0');
  const insmod = await d.lxc(['exec', 'c1', '--', 'sh', '-c', 'echo 1 > /proc/sys/kernel/sysrq'], { allowFail: true });
  assert.notEqual(insmod.code, 0, 'host sysctls are read-only inside');
});

test('isolated idmaps are disjoint; privileged containers map root to root', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'i1', '-c', 'security.idmap.isolated=true']);
  await d.lxc(['launch', 'busybox', 'i2', '-c', 'security.idmap.isolated=true']);
  await d.lxc(['launch', 'busybox', 'shared']);
  const base = async (n: string) => Number((await readFile(`/proc/${await initPid(d, n)}/uid_map`, 'utf8')).trim().split(/\s+/)[1]);
  const [b1, b2, bs] = [await base('i1'), await base('i2'), await base('shared')];
  assert.notEqual(b1, b2);
  assert.ok(Math.abs(b1 - b2) >= 65536);
  assert.notEqual(b1, bs);
  assert.equal((await d.client.get<{ config: Record<string, string> }>('/1.0/instances/i1')).config['volatile.idmap.base'], String(b1));
  await d.lxc(['launch', 'busybox', 'priv', '-c', 'security.privileged=true']);
  const map = (await readFile(`/proc/${await initPid(d, 'priv')}/uid_map`, 'utf8')).trim().split(/\s+/).map(Number);
  assert.deepEqual(map.slice(0, 2), [0, 0]);
  assert.equal((await d.lxc(['exec', 'priv', '--', 'stat', '-c', '%u', '/bin/busybox'])).stdout.trim(), '0');
});

test('lxc.conf and lxc.log are served as instance logs', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1', '-c', 'security.nesting=true']);
  const logs = await d.client.get<string[]>('/1.0/instances/c1/logs');
  assert.ok(logs.includes('/1.0/instances/c1/logs/lxc.conf'));
  const res = await d.client.raw('GET', '/1.0/instances/c1/logs/lxc.conf');
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const conf = Buffer.concat(chunks).toString();
  // A layered rootfs comes idmapped already (its layers are): LXC must not idmap it again.
  if (layered(d, 'c1')) assert.doesNotMatch(conf, /idmap=container/);
  else assert.match(conf, /lxc\.rootfs\.options = idmap=container/);
  assert.match(conf, /lxc\.seccomp\.profile = /);
  assert.match(conf, /dev\/\.lxc\/proc/);
  const bad = await d.client.query('GET', '/1.0/instances/c1/logs/..%2F..%2Fdatabase').catch((e: Error) => e);
  assert.match(String(bad), /not valid/);
});
