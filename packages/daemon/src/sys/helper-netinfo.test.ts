// Pure logic of the lodge-helper wrapper: netinfo argv and parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileError } from './helper.js';
import { netInfo, netinfoArgs, parseNetinfo } from './helper-netinfo.js';
import { fakeRunner } from './helper-runner.fixture.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

const lo = {
  addresses: [{ family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' }],
  counters: {
    bytes_received: 1, bytes_sent: 2, packets_received: 3, packets_sent: 4, errors_received: 0, errors_sent: 0, packets_dropped_outbound: 0, packets_dropped_inbound: 0,
  },
  hwaddr: '',
  host_name: '',
  mtu: 65536,
  state: 'up',
  type: 'loopback',
};

test('netinfoArgs and parseNetinfo: one pid is bare, several are keyed by pid; duplicates merged', () => {
  assert.deepEqual(netinfoArgs([5, 6, 5]), ['netinfo', '--pid', '5', '--pid', '6']);
  assert.throws(() => netinfoArgs([]), /no pid/);
  assert.throws(() => netinfoArgs([1]), /invalid pid/);
  const one = parseNetinfo(JSON.stringify({ lo }), [5, 5]);
  assert.deepEqual([...one.keys()], [5]);
  assert.deepEqual(one.get(5), { lo });
  const many = parseNetinfo(JSON.stringify({ 5: { lo }, 6: {}, 99: { lo } }), [5, 6, 7]);
  assert.deepEqual([...many.keys()].sort(), [5, 6]); // 7 failed (left out), 99 was not asked
  assert.deepEqual(many.get(6), {});
  assert.throws(() => parseNetinfo('{"lo":{"addresses":"x"}}', [5]), FileError);
  assert.throws(() => parseNetinfo(JSON.stringify({ lo: { ...lo, counters: { bytes_received: '1' } } }), [5]), FileError);
  assert.throws(() => parseNetinfo('nope', [5]), /not JSON/);
  assert.throws(() => parseNetinfo('[]', [5, 6]), FileError);
});

test('netInfo: no pid, no process; a single failed pid gives an empty map', async () => {
  const calls: string[][] = [];
  assert.equal((await netInfo([], { runner: fakeRunner({}, calls), env })).size, 0);
  assert.equal(calls.length, 0);
  const gone = '{"error":"pid 5: open the network namespace: No such process","errno":3}';
  assert.equal((await netInfo([5], { runner: fakeRunner({ code: 1, stderr: gone }), env })).size, 0);
  assert.deepEqual((await netInfo([5, 6], { runner: fakeRunner({ stdout: JSON.stringify({ 6: { lo } }) }, calls), env })).get(6), { lo });
  assert.deepEqual(calls[0], ['/opt/lodge-helper', 'netinfo', '--pid', '5', '--pid', '6']);
});
