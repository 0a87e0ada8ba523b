// Unit tests: memory totals from meminfo and the online memory blocks, hugepages and NUMA nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeHost } from './fake-tree.js';
import { parseMeminfo, readMemory } from './memory.js';

const meminfo = ['MemTotal:        8000000 kB', 'MemFree:         2000000 kB', 'Buffers:          100000 kB', 'Cached:          1000000 kB', 'SwapCached:            0 kB', 'HugePages_Total:      10', 'HugePages_Free:        4', 'Hugepagesize:       2048 kB', ''].join('\n');

const node0 = ['Node 0 MemTotal:       4000000 kB', 'Node 0 MemFree:        1000000 kB', 'Node 0 MemUsed:        3000000 kB', 'Node 0 HugePages_Total:     6', 'Node 0 HugePages_Free:      1', ''].join('\n');

test('meminfo keys are the last word before the colon; kB values become bytes', () => {
  const info = parseMeminfo(`${node0}garbage line\n`);
  assert.equal(info.total, 4000000 * 1024);
  assert.equal(info.used, 3000000 * 1024);
  assert.equal(info.hugepagesTotal, 6);
  assert.equal(info.hugepagesFree, 1);
});

test('installed memory counts online blocks; used is total minus free, cached and buffers; nodes use the global page size', async (t) => {
  const mem = 'sys/devices/system/memory';
  const host = await fakeHost(t, {
    'proc/meminfo': meminfo,
    [`${mem}/block_size_bytes`]: '40000000\n',
    [`${mem}/memory0/online`]: '1\n',
    [`${mem}/memory1/online`]: '1\n',
    [`${mem}/memory2/online`]: '0\n',
    [`${mem}/memory3/online`]: '1\n',
    [`${mem}/memory_tiers/x`]: '',
    'sys/devices/system/node/node0/meminfo': node0,
    'sys/devices/system/node/node0/memory0': { link: '../../memory/memory0' },
    'sys/devices/system/node/node0/memory2': { link: '../../memory/memory2' },
    'sys/devices/system/node/has_cpu': '0\n',
  });
  const block = 0x40000000;
  const total = 3 * block;
  assert.deepEqual(readMemory(host), {
    nodes: [{ numa_node: 0, hugepages_used: 5 * 2048 * 1024, hugepages_total: 6 * 2048 * 1024, used: 3000000 * 1024, total: block }],
    hugepages_total: 10 * 2048 * 1024,
    hugepages_used: 6 * 2048 * 1024,
    hugepages_size: 2048 * 1024,
    used: total - (2000000 + 1000000 + 100000) * 1024,
    total,
  });
});

test('without memory blocks the total is MemTotal, and without NUMA nodes there is no node list', async (t) => {
  const host = await fakeHost(t, { 'proc/meminfo': meminfo });
  const res = readMemory(host);
  assert.equal(res.total, 8000000 * 1024);
  assert.equal(res.used, (8000000 - 2000000 - 1000000 - 100000) * 1024);
  assert.equal('nodes' in res, false);
});

test('nothing readable: zeros', async (t) => {
  const host = await fakeHost(t, {});
  assert.deepEqual(readMemory(host), { hugepages_total: 0, hugepages_used: 0, hugepages_size: 0, used: 0, total: 0 });
});
