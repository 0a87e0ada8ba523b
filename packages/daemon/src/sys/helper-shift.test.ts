// Pure logic of the lodge-helper wrapper: shift argv and its summary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileError } from './helper.js';
import { parseShiftResult, shiftArgs, shiftTree } from './helper-shift.js';
import { fakeRunner } from './helper-runner.fixture.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

test('shiftArgs: one --map per entry (u, g or b), --reverse before them', () => {
  const lxd = [
    { Isuid: true, Isgid: false, Hostid: 100000, Nsid: 0, Maprange: 65536 },
    { Isuid: false, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 },
  ];
  assert.deepEqual(shiftArgs('/var/lib/lodge/c1/rootfs', lxd), ['shift', '--root', '/var/lib/lodge/c1/rootfs', '--map', 'u:100000:0:65536', '--map', 'g:100000:0:65536']);
  assert.deepEqual(shiftArgs('/r', [{ Isuid: true, Isgid: true, Hostid: 1000000, Nsid: 0, Maprange: 1000000000 }], { reverse: true }), [
    'shift', '--root', '/r', '--reverse', '--map', 'b:1000000:0:1000000000',
  ]);
  // The last ids of a range may reach 2^32 - 2, never 2^32 - 1 (chown's "unchanged").
  assert.deepEqual(shiftArgs('/r', [{ Isuid: true, Isgid: false, Hostid: 0xfffffffe, Nsid: 5, Maprange: 1 }]).slice(-1), ['u:4294967294:5:1']);
});

test('shiftArgs: refuses bad roots and id maps', () => {
  const ok = { Isuid: true, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 };
  assert.throws(() => shiftArgs('rel/rootfs', [ok]), /absolute/);
  assert.throws(() => shiftArgs('/a/../b', [ok]), /\.\./);
  assert.throws(() => shiftArgs('/a\0b', [ok]), /NUL/);
  assert.throws(() => shiftArgs('/r', []), /no id map/);
  assert.throws(() => shiftArgs('/r', [{ ...ok, Isuid: false, Isgid: false }]), /neither/);
  for (const bad of [{ Maprange: 0 }, { Maprange: 1.5 }, { Hostid: -1 }, { Nsid: Number.NaN }, { Hostid: 0xffffffff, Maprange: 1 }, { Nsid: 0xfffffff0, Maprange: 16 }]) {
    assert.throws(() => shiftArgs('/r', [{ ...ok, ...bad }]), /invalid id map entry/, JSON.stringify(bad));
  }
  assert.throws(() => shiftArgs('/r', [{ ...ok, Hostid: '1' as unknown as number }]), /invalid id map entry/);
});

test('shiftTree: runs the helper, parses the summary, turns errors into FileErrors', async () => {
  const calls: string[][] = [];
  const map = [{ Isuid: true, Isgid: true, Hostid: 100000, Nsid: 0, Maprange: 65536 }];
  assert.deepEqual(await shiftTree('/r', map, {}, { runner: fakeRunner({ stdout: '{"entries":12,"changed":11}\n' }, calls), env }), { entries: 12, changed: 11 });
  assert.deepEqual(calls[0], ['/opt/lodge-helper', 'shift', '--root', '/r', '--map', 'b:100000:0:65536']);
  const failed = '{"error":"chown usr/bin/x: Operation not permitted","errno":1}';
  await assert.rejects(shiftTree('/r', map, { reverse: true }, { runner: fakeRunner({ code: 1, stderr: failed }), env }), (e: unknown) => {
    assert.ok(e instanceof FileError);
    assert.equal(e.code, 'EPERM');
    assert.match(e.message, /usr\/bin\/x/);
    return true;
  });
  assert.throws(() => parseShiftResult('not json'), /not JSON/);
  assert.throws(() => parseShiftResult('{"entries":1}'), /unexpected output/);
});
