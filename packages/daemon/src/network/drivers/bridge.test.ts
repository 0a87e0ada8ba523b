// Unit tests for the bridge driver's config filling and cross-key checks (no host state touched).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Runner } from '../../sys/runner.js';
import { parseCidr } from '../../util/ip.js';
import { BridgeDriver } from './bridge.js';
import type { NetworkSurroundings } from './driver.js';

const refuse: Runner = {
  run: () => Promise.reject(new Error('no processes in unit tests')),
  spawn: () => {
    throw new Error('no processes in unit tests');
  },
};
const driver = new BridgeDriver({ runner: refuse, networksDir: '/nonexistent', logsDir: '/nonexistent', macSeed: 'x' });

const env = (over: Partial<NetworkSurroundings> = {}): NetworkSurroundings => ({ others: [], routes: [], ipv6: true, ...over });

test('a new bridge gets automatic subnets with NAT, as LXD fills it in', () => {
  const c = driver.fillConfig('b', {}, env(), true);
  assert.match(c['ipv4.address']!, /^10\.\d+\.\d+\.1\/24$/);
  assert.match(c['ipv6.address']!, /^fd42:/);
  assert.equal(c['ipv4.nat'], 'true');
  assert.equal(c['ipv6.nat'], 'true');
  const explicit = driver.fillConfig('b', { 'ipv4.address': '10.5.0.1/24' }, env({ ipv6: false }), true);
  assert.deepEqual(explicit, { 'ipv4.address': '10.5.0.1/24' });
  // An update only replaces "auto", it adds no defaults.
  assert.deepEqual(driver.fillConfig('b', { 'ipv6.address': 'none' }, env(), false), { 'ipv6.address': 'none' });
});

test('auto never picks a subnet used by another network or a local route', () => {
  const routes = [{ dest: parseCidr('10.0.0.0/9')!, dev: 'eth0', connected: true }];
  const others = [{ name: 'o', type: 'bridge', config: { 'ipv4.address': '10.128.0.1/9' } }];
  assert.throws(() => driver.fillConfig('b', { 'ipv6.address': 'none' }, env({ routes, others }), true), /unused IPv4 subnet/);
});

test('overlaps with other networks and connected routes, and DHCP ranges outside the subnet, are refused', () => {
  const others = [{ name: 'o', type: 'bridge', config: { 'ipv4.address': '10.1.0.1/16', 'ipv6.address': 'fd42:1::1/64' } }];
  assert.throws(() => driver.validate('b', { 'ipv4.address': '10.1.2.1/24' }, env({ others })), /overlaps with network "o"/);
  assert.throws(() => driver.validate('b', { 'ipv6.address': 'fd42:1::2/64' }, env({ others })), /overlaps with network "o"/);
  const routes = [
    { dest: parseCidr('192.0.2.0/24')!, dev: 'eth0', connected: true },
    { dest: parseCidr('198.51.100.0/24')!, dev: 'eth0', connected: false },
    { dest: parseCidr('203.0.113.0/24')!, dev: 'b', connected: true },
  ];
  assert.throws(() => driver.validate('b', { 'ipv4.address': '192.0.2.200/24' }, env({ routes })), /overlaps with 192\.0\.2\.0\/24 on interface "eth0"/);
  driver.validate('b', { 'ipv4.address': '198.51.100.1/24' }, env({ routes }));
  driver.validate('b', { 'ipv4.address': '203.0.113.1/24' }, env({ routes }));
  assert.throws(() => driver.validate('b', { 'ipv4.address': '10.9.0.1/24', 'ipv4.dhcp.ranges': '10.9.1.1-10.9.1.9' }, env()), /not inside/);
  assert.throws(() => driver.validate('b', { 'ipv6.address': 'fd42:9::1/64', 'bridge.mtu': '1000' }, env()), /1280/);
  assert.throws(() => driver.validate('b', { 'ipv4.address': 'none', 'ipv4.routes': '10.9.0.0/24' }, env()), /needs "ipv4\.address"/);
});
