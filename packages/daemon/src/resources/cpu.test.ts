// Unit tests: CPU sockets, cores and threads from a fake sysfs, named the way LXD names them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCpuset, readCpu } from './cpu.js';
import { fakeHost, type Tree } from './fake-tree.js';
import { parseSmbios } from './smbios.js';

const cpuDir = 'sys/devices/system/cpu';

function cpu(n: number, socket: number, core: number, die: number, node: number): Tree {
  const d = `${cpuDir}/cpu${n}`;
  return {
    [`${d}/topology/physical_package_id`]: `${socket}\n`,
    [`${d}/topology/core_id`]: `${core}\n`,
    [`${d}/topology/die_id`]: `${die}\n`,
    [`${d}/node${node}`]: { link: `../../node/node${node}` },
  };
}

const cpuinfo = ['processor\t: 0', 'vendor_id\t: GenuineIntel', 'model name\t: Model Zero', '', 'processor\t: 1', 'vendor_id\t: GenuineIntel', 'model name\t: Model One', ''].join('\n');

test('sockets, dies, cores and threads in sysfs directory order, with caches and frequencies', async (t) => {
  const host = await fakeHost(t, {
    'proc/cpuinfo': cpuinfo,
    'sys/devices/system/node/node0/numastat': 'numa_hit 1\n',
    'sys/devices/system/node/node1/numastat': 'numa_hit 1\n',
    [`${cpuDir}/isolated`]: '10-11\n',
    [`${cpuDir}/cpufreq/policy0`]: '',
    ...cpu(0, 0, 0, 0, 0),
    ...cpu(1, 0, 1, 0, 0),
    ...cpu(10, 0, 0, 0, 0),
    ...cpu(2, 1, 0, 1, 1),
    ...cpu(3, 1, 1, 0, 1),
    ...cpu(11, 1, 1, 0, 1),
    [`${cpuDir}/cpu3/online`]: '0\n',
    [`${cpuDir}/cpu0/cache/index0/level`]: '1\n',
    [`${cpuDir}/cpu0/cache/index0/type`]: 'Data\n',
    [`${cpuDir}/cpu0/cache/index0/size`]: '48K\n',
    [`${cpuDir}/cpu0/cache/index2/level`]: '2\n',
    [`${cpuDir}/cpu0/cache/index2/size`]: '2048K\n',
    [`${cpuDir}/cpu0/cache/uevent`]: '',
    [`${cpuDir}/cpu0/cpufreq/cpuinfo_min_freq`]: '400000\n',
    [`${cpuDir}/cpu0/cpufreq/cpuinfo_max_freq`]: '3500000\n',
    [`${cpuDir}/cpu0/cpufreq/scaling_cur_freq`]: '2000000\n',
    [`${cpuDir}/cpu1/cpufreq/scaling_cur_freq`]: '3000000\n',
    [`${cpuDir}/cpu10/cpufreq/scaling_cur_freq`]: '9999000\n',
    [`${cpuDir}/cpu11/cpufreq/scaling_min_freq`]: '800000\n',
  });
  const res = readCpu(host);
  assert.equal(res.architecture, 'x86_64');
  assert.equal(res.total, 6);
  const [s0, s1] = res.sockets;
  assert.deepEqual(s0, {
    name: 'Model Zero',
    vendor: 'GenuineIntel',
    socket: 0,
    cache: [
      { level: 1, type: 'Data', size: 48 * 1024 },
      { level: 2, type: 'Unknown', size: 2048 * 1024 },
    ],
    cores: [
      {
        core: 0,
        die: 0,
        threads: [
          { id: 0, numa_node: 0, thread: 0, online: true, isolated: false },
          { id: 10, numa_node: 0, thread: 1, online: true, isolated: true },
        ],
        // From the core's first thread (cpu0), not cpu10.
        frequency: 2000,
      },
      { core: 1, die: 0, threads: [{ id: 1, numa_node: 0, thread: 0, online: true, isolated: false }], frequency: 3000 },
    ],
    frequency: 2500,
    frequency_minimum: 400,
    frequency_turbo: 3500,
  });
  // Socket 1 is first seen at cpu11 and takes its caches and frequencies from it; its name
  // comes from the cpuinfo block "processor : 1", as LXD reads it.
  assert.deepEqual(s1, {
    name: 'Model One',
    vendor: 'GenuineIntel',
    socket: 1,
    cores: [
      { core: 0, die: 1, threads: [{ id: 2, numa_node: 1, thread: 0, online: true, isolated: false }] },
      {
        core: 1,
        die: 0,
        threads: [
          { id: 11, numa_node: 1, thread: 0, online: true, isolated: true },
          { id: 3, numa_node: 1, thread: 1, online: false, isolated: false },
        ],
      },
    ],
    frequency_minimum: 800,
  });
});

/** An SMBIOS table with one processor structure (type 4) and the end-of-table marker. */
function dmiTable(strings: string[]): Buffer {
  const formatted = Buffer.alloc(0x2a - 4);
  const header = Buffer.from([4, 0x2a, 0x04, 0x00]);
  const text = Buffer.from(`${strings.join('\0')}\0\0`, 'utf8');
  return Buffer.concat([Buffer.from([0, 4, 0, 0, 0, 0]), header, formatted, text, Buffer.from([127, 4, 0xff, 0xfe, 0, 0])]);
}

test('arm64: no topology ids (-1), no names in cpuinfo, vendor and model from the SMBIOS processor table', async (t) => {
  const host = await fakeHost(t, {
    'proc/cpuinfo': 'processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n',
    [`${cpuDir}/cpu0/topology/physical_package_id`]: '-1\n',
    [`${cpuDir}/cpu0/topology/core_id`]: '0\n',
    [`${cpuDir}/cpu1/topology/physical_package_id`]: '-1\n',
    [`${cpuDir}/cpu1/topology/core_id`]: '1\n',
    'sys/firmware/dmi/tables/DMI': dmiTable(['CPU 1', 'Ampere(R)', 'Ampere(R) Altra(R) Processor', 'Q80-30']),
  });
  const res = readCpu(host);
  assert.equal(res.total, 2);
  assert.equal(res.sockets.length, 1);
  assert.equal(res.sockets[0]?.vendor, 'Ampere(R)');
  assert.equal(res.sockets[0]?.name, 'Ampere(R) Altra(R) Processor');
  assert.deepEqual(
    res.sockets[0]?.cores.map((c) => [c.core, c.die, c.threads.length]),
    [
      [0, 0, 1],
      [1, 0, 1],
    ],
  );
  assert.equal(res.sockets[0]?.cache, undefined);
});

test('no CPU directory at all: zero threads, no sockets', async (t) => {
  const host = await fakeHost(t, {});
  assert.deepEqual(readCpu(host), { architecture: 'x86_64', sockets: [], total: 0 });
});

test('cpusets and SMBIOS string sets', () => {
  assert.deepEqual(parseCpuset('0-2,5,7-8'), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual(parseCpuset('1,x'), []);
  const structures = parseSmbios(dmiTable(['a', 'b', 'c']));
  assert.deepEqual(
    structures.map((s) => [s.type, s.strings]),
    [
      [0, []],
      [4, ['a', 'b', 'c']],
      [127, []],
    ],
  );
  // A table cut short decodes to nothing rather than to half a structure.
  assert.deepEqual(parseSmbios(dmiTable(['a']).subarray(0, 20)), []);
});
