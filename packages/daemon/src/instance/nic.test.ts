// Unit tests for nic rendering and rate units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRate } from '../network/nic-host.js';
import { lxcSection, randomHostName, randomMac } from './nic.js';

test('nics render as lxc.net sections: veth on a bridge, p2p veth, macvlan', () => {
  const base = { hwaddr: '00:16:3e:00:00:01', name: 'eth0', mode: 'bridge', dev: {} };
  assert.deepEqual(lxcSection({ ...base, device: 'eth0', nictype: 'bridged', parent: 'lbr0', hostName: 'veth1234', mtu: '1400' }), {
    type: 'veth',
    link: 'lbr0',
    name: 'eth0',
    hwaddr: '00:16:3e:00:00:01',
    'veth.pair': 'veth1234',
    mtu: '1400',
    flags: 'up',
  });
  assert.deepEqual(lxcSection({ ...base, device: 'p', nictype: 'p2p', hostName: 'veth9' }), { type: 'veth', name: 'eth0', hwaddr: '00:16:3e:00:00:01', 'veth.pair': 'veth9', flags: 'up' });
  assert.deepEqual(lxcSection({ ...base, device: 'm', nictype: 'macvlan', parent: 'eth9', mode: 'vepa' }), {
    type: 'macvlan',
    'macvlan.mode': 'vepa',
    link: 'eth9',
    name: 'eth0',
    hwaddr: '00:16:3e:00:00:01',
    flags: 'up',
  });
});

test('generated MACs and host names have LXD shapes; rates convert to bit/s', () => {
  assert.match(randomMac(), /^00:16:3e(:[0-9a-f]{2}){3}$/);
  assert.match(randomHostName(), /^veth[0-9a-f]{8}$/);
  assert.equal(parseRate('10Mbit'), 10_000_000);
  assert.equal(parseRate('1.5Gbit'), 1_500_000_000);
  assert.equal(parseRate('100kB'), 800_000);
  assert.equal(parseRate('1000'), 1000);
  assert.throws(() => parseRate('fast'));
});
