// Pure parts of `lodge network`: the info text (every section lxc prints) and which nic detach picks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findNic } from './network-attach.js';
import { networkInfoText } from './network.js';

const counters = { bytes_received: 1500, bytes_sent: 999, packets_received: 3, packets_sent: 2 };

test('network info: interface, addresses, usage, and the bond, bridge, vlan and ovn sections when present', () => {
  const text = networkInfoText('br0', {
    addresses: [
      { family: 'inet', address: '10.0.0.1', netmask: '24', scope: 'global' },
      { family: 'inet6', address: 'fe80::1', netmask: '64', scope: 'link' },
    ],
    counters,
    hwaddr: '00:16:3e:00:00:01',
    mtu: 1500,
    state: 'up',
    type: 'broadcast',
    bond: { mode: 'active-backup', transmit_policy: 'layer2', up_delay: 0, down_delay: 0, mii_frequency: 100, mii_state: 'up', lower_devices: ['eth0', 'eth1'] },
    bridge: { id: '8000.00163e000001', stp: false, forward_delay: 1500, vlan_default: 1, vlan_filtering: true, upper_devices: [] },
    vlan: { lower_device: 'eth0', vid: 10 },
    ovn: { chassis: 'node1' },
  });
  assert.equal(
    text,
    [
      'Name: br0',
      'MAC address: 00:16:3e:00:00:01',
      'MTU: 1500',
      'State: up',
      'Type: broadcast',
      '',
      'IP addresses:',
      '  inet\t10.0.0.1/24 (global)',
      '  inet6\tfe80::1/64 (link)',
      '',
      'Network usage:',
      '  Bytes received: 1.50kB',
      '  Bytes sent: 999B',
      '  Packets received: 3',
      '  Packets sent: 2',
      '',
      'Bond:',
      '  Mode: active-backup',
      '  Transmit policy: layer2',
      '  Up delay: 0',
      '  Down delay: 0',
      '  MII Frequency: 100',
      '  MII state: up',
      '  Lower devices: eth0, eth1',
      '',
      'Bridge:',
      '  ID: 8000.00163e000001',
      '  STP: false',
      '  Forward delay: 1500',
      '  Default VLAN ID: 1',
      '  VLAN filtering: true',
      '  Upper devices: ',
      '',
      'VLAN:',
      '  Lower device: eth0',
      '  VLAN ID: 10',
      '',
      'OVN:',
      '  Chassis: node1',
      '',
    ].join('\n'),
  );
  const bare = networkInfoText('lo', { addresses: [], counters, hwaddr: '', mtu: 65536, state: 'up', type: 'loopback', bond: null, bridge: null, vlan: null, ovn: null });
  assert.doesNotMatch(bare, /IP addresses|Bridge/);
});

test('detach picks the named nic, else the only nic on the network, with lxc errors', () => {
  const devices = {
    eth0: { type: 'nic', network: 'br0' },
    eth1: { type: 'nic', nictype: 'bridged', parent: 'br1' },
    eth2: { type: 'nic', nictype: 'macvlan', parent: 'br1' },
    root: { type: 'disk', path: '/', pool: 'default' },
  };
  assert.equal(findNic(devices, 'br0'), 'eth0');
  assert.equal(findNic(devices, 'br1', 'eth2'), 'eth2');
  assert.throws(() => findNic(devices, 'br1'), /^Error: More than one device matches, specify the device name$/);
  assert.throws(() => findNic(devices, 'br2'), /^Error: No device found for this network$/);
  assert.throws(() => findNic(devices, 'br0', 'eth9'), /^Error: The specified device doesn't exist$/);
  assert.throws(() => findNic(devices, 'br0', 'eth1'), /^Error: The specified device doesn't match the network$/);
  assert.throws(() => findNic(devices, 'br0', 'root'), /^Error: The specified device doesn't match the network$/);
});
