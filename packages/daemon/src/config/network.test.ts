// Unit tests for the network key tables and name rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from './keys.js';
import { bridgeSchema, macvlanSchema, networkNameProblem } from './network.js';

const bad = (schema: typeof bridgeSchema, config: Record<string, string>, re: RegExp) => assert.throws(() => validateConfig(schema, config), re, JSON.stringify(config));

test('bridge keys are validated by value, unknown and unimplemented keys are refused by name', () => {
  validateConfig(bridgeSchema, {
    'ipv4.address': '10.0.0.1/24',
    'ipv4.nat': 'true',
    'ipv4.dhcp.ranges': '10.0.0.10-10.0.0.20',
    'ipv4.dhcp.expiry': '2h',
    'ipv4.routes': '10.1.0.0/16,10.2.0.0/16',
    'ipv6.address': 'auto',
    'bridge.mtu': '1400',
    'bridge.hwaddr': '00:16:3e:00:00:01',
    'dns.mode': 'managed',
    'dns.domain': 'lodge',
    'raw.dnsmasq': 'log-queries',
    'user.note': 'x',
  });
  validateConfig(bridgeSchema, { 'ipv4.address': 'none', 'ipv6.address': 'none' });
  bad(bridgeSchema, { 'ipv4.address': '10.0.0.1' }, /ipv4\.address/);
  bad(bridgeSchema, { 'ipv4.address': '10.0.0.0/24' }, /network address/);
  bad(bridgeSchema, { 'ipv4.address': 'fd42::1/64' }, /ipv4\.address/);
  bad(bridgeSchema, { 'ipv6.address': '10.0.0.1/24' }, /ipv6\.address/);
  bad(bridgeSchema, { 'ipv4.nat': 'maybe' }, /ipv4\.nat/);
  bad(bridgeSchema, { 'ipv4.dhcp.ranges': '10.0.0.20-10.0.0.10' }, /range/);
  bad(bridgeSchema, { 'ipv4.routes': '10.1.0.0' }, /ipv4\.routes/);
  bad(bridgeSchema, { 'bridge.mtu': '10' }, /bridge\.mtu/);
  bad(bridgeSchema, { 'dns.mode': 'weird' }, /dns\.mode/);
  bad(bridgeSchema, { 'ipv4.dhcp.expiry': 'soon' }, /expiry/);
  bad(bridgeSchema, { 'no.such.key': '1' }, /Unknown network configuration key: no\.such\.key/);
  bad(bridgeSchema, { 'fan.underlay_subnet': 'auto' }, /not implemented/);
  bad(bridgeSchema, { 'bridge.driver': 'openvswitch' }, /bridge\.driver/);
});

test('macvlan keys and network names', () => {
  validateConfig(macvlanSchema, { parent: 'eth0', mtu: '1500' });
  bad(macvlanSchema, { parent: 'eth0', 'ipv4.address': '10.0.0.1/24' }, /Unknown/);
  assert.equal(networkNameProblem('lodgebr0'), undefined);
  assert.equal(networkNameProblem('my-net.1'), undefined);
  assert.match(networkNameProblem('') ?? '', /No name/);
  assert.match(networkNameProblem('none') ?? '', /reserved/);
  assert.match(networkNameProblem('a-very-long-name-x') ?? '', /Invalid interface name/);
  assert.match(networkNameProblem('a/b') ?? '', /Invalid/);
  assert.match(networkNameProblem('-x') ?? '', /"-"/);
});
