// GET /1.0/resources through the real lxc client: lxc info --resources, lxc storage info, and the raw JSON against this host.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Resources } from '@lodge/api';
import { startDaemon } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/**
 * The installed memory as LXD derives it: online memory blocks × block size, or MemTotal
 * when the host has no memory block devices. (MemTotal alone is smaller: it leaves out
 * what the kernel reserved.)
 */
function expectedMemoryTotal(): { total: number; memTotal: number } {
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
  const blockSize = Number.parseInt(readOr('/sys/devices/system/memory/block_size_bytes', '0'), 16);
  let blocks = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/sys/devices/system/memory');
  } catch {
    // no memory block devices
  }
  for (const n of entries) if (n.startsWith('memory') && readOr(`/sys/devices/system/memory/${n}/online`, '') === '1') blocks++;
  return { total: blockSize * blocks || memTotal, memTotal };
}

test('lxc info --resources and lxc storage info work against lodged', async (t) => {
  const d = await startDaemon(t);
  const info = await d.lxc(['info']);
  assert.match(info.stdout, /- resources\n/);
  assert.match(info.stdout, /- resources_v2\n/);
  const res = await d.lxc(['info', '--resources']);
  assert.match(res.stdout, /^CPUs? \(\S+\):\n/m);
  assert.match(res.stdout, /^ {2}Cores:\n/m);
  assert.match(res.stdout, /^Memory:\n {2}Free: .+\n {2}Used: .+\n {2}Total: .+\n/m);
  const pool = await d.lxc(['storage', 'info', 'default']);
  assert.match(pool.stdout, /total space: /);
  assert.match(pool.stdout, /driver: dir/);
});

test('the resources JSON carries LXD fields with this host values', async (t) => {
  const d = await startDaemon(t);
  // Through the Go client, which decodes into a map: keys come back sorted.
  const r = JSON.parse((await d.lxc(['query', '/1.0/resources'])).stdout) as Resources;
  assert.deepEqual(Object.keys(r), ['cpu', 'gpu', 'memory', 'network', 'pci', 'storage', 'system', 'usb']);

  // CPU: every online CPU is one thread, each listed once.
  const online = Number((await run('getconf', ['_NPROCESSORS_ONLN'])).stdout.trim());
  const nproc = Number((await run('nproc', [])).stdout.trim());
  assert.equal(r.cpu.total, online);
  assert.ok(r.cpu.total >= nproc);
  assert.equal(r.cpu.architecture, (await run('uname', ['-m'])).stdout.trim());
  const ids = r.cpu.sockets.flatMap((s) => s.cores.flatMap((c) => c.threads.map((th) => th.id)));
  assert.equal(ids.length, r.cpu.total);
  assert.equal(new Set(ids).size, ids.length);
  for (const s of r.cpu.sockets) {
    assert.equal(typeof s.socket, 'number');
    for (const c of s.cores) assert.deepEqual(Object.keys(c.threads[0] ?? {}), ['id', 'isolated', 'numa_node', 'online', 'thread']);
  }

  // Memory, in bytes.
  const { total, memTotal } = expectedMemoryTotal();
  assert.equal(r.memory.total, total);
  assert.ok(r.memory.total >= memTotal);
  assert.ok(r.memory.used > 0 && r.memory.used < r.memory.total);
  assert.equal(typeof r.memory.hugepages_size, 'number');

  // Devices: lists with totals that count them (plus partitions / virtual functions).
  assert.equal(r.storage.total, r.storage.disks.reduce((n, disk) => n + 1 + disk.partitions.length, 0));
  for (const disk of r.storage.disks) {
    assert.match(disk.device, /^\d+:\d+$/);
    assert.equal(typeof disk.device_id, 'string');
    assert.ok(disk.size > 0 || disk.removable);
  }
  const pciFunctions = readdirSync('/sys/bus/pci/devices').length;
  assert.equal(r.pci.total, pciFunctions);
  assert.equal(r.pci.devices.length, pciFunctions);
  for (const dev of r.pci.devices) assert.match(dev.pci_address, /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
  for (const card of r.network.cards) for (const port of card.ports ?? []) assert.ok(readOr(`/sys/class/net/${port.id}/type`, '') !== '', port.id);
  assert.equal(r.gpu.total >= r.gpu.cards.length, true);
  assert.equal(r.usb.total, r.usb.devices.length);
  assert.ok(['physical', 'virtual-machine', 'container', 'unknown'].includes(r.system.type));
});
