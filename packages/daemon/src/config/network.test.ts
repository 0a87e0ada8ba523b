// Unit tests for the network key tables, LXD's config checks and messages, and the name rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeSchema, macvlanSchema, networkNameProblem, validateNetworkConfig } from './network.js';

const validateConfig = (schema: typeof bridgeSchema, config: Record<string, string>) => validateNetworkConfig(schema, 'n1', config);
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
  bad(bridgeSchema, { 'no.such.key': '1' }, /^ApiError: Invalid option for network "n1" option "no\.such\.key"$/);
  bad(bridgeSchema, { 'fan.underlay_subnet': 'auto' }, /not implemented/);
  bad(bridgeSchema, { 'bridge.driver': 'openvswitch' }, /bridge\.driver/);
});

test('macvlan keys and network names', () => {
  validateConfig(macvlanSchema, { parent: 'eth0', mtu: '1500' });
  bad(macvlanSchema, { parent: 'eth0', 'ipv4.address': '10.0.0.1/24' }, /Invalid option for network "n1" option "ipv4\.address"/);
  assert.equal(networkNameProblem('lodgebr0'), undefined);
  assert.equal(networkNameProblem('my-net.1'), undefined);
  assert.equal(networkNameProblem('br_0'), undefined);
  // LXD 5.0.2's messages, word for word.
  assert.equal(networkNameProblem(''), 'No name provided');
  assert.equal(networkNameProblem('x'), 'Network interface is too short (minimum 2 characters)');
  assert.equal(networkNameProblem('a-very-long-name-x'), 'Network interface is too long (maximum 15 characters)');
  assert.equal(networkNameProblem('a/b'), 'Network interface contains invalid characters');
  assert.equal(networkNameProblem('a:b'), 'Network interface contains invalid characters');
  assert.equal(networkNameProblem('a b'), 'Network interface contains invalid characters');
  // What lodge refuses on top of LXD.
  assert.match(networkNameProblem('none') ?? '', /reserved/);
  assert.match(networkNameProblem('-x') ?? '', /"-"/);
  assert.ok(networkNameProblem('..'));
});

test('config checks follow LXD: values of known keys first, then unknown keys, the empty key included', () => {
  // LXD 5.0.2 answered PATCH {"no.such": "1", "ipv4.address": "bad"} with the value error, and {"": "x"} with this.
  assert.throws(() => validateConfig(bridgeSchema, { 'no.such': '1', 'ipv4.address': 'bad' }), /^ApiError: Invalid value for network "n1" option "ipv4\.address": /);
  assert.throws(() => validateConfig(bridgeSchema, { '': 'x' }), /^ApiError: Invalid option for network "n1" option ""$/);
  // An empty value does not make an unknown key acceptable (LXD refuses PATCH {"": ""} and {"no.such": ""})...
  assert.throws(() => validateConfig(bridgeSchema, { '': '' }), /option ""$/);
  assert.throws(() => validateConfig(bridgeSchema, { 'no.such': '' }), /option "no\.such"$/);
  // ...but unsets a known one, an unimplemented one included.
  validateConfig(bridgeSchema, { 'ipv4.nat': '', 'ipv4.address': '', 'fan.underlay_subnet': '' });
  validateConfig(macvlanSchema, { parent: 'eth0', vlan: '' });
  bad(macvlanSchema, { parent: 'eth0', vlan: '10' }, /Invalid value for network "n1" option "vlan": .*not implemented by lodge/);
  // user.* keys are free-form, "user." itself included, as LXD's prefix test has it.
  validateConfig(bridgeSchema, { 'user.': 'x', 'user.a.b': '' });
  const err = (() => {
    try {
      validateConfig(bridgeSchema, { 'no.such': '1' });
    } catch (e) {
      return e as Error & { status?: number };
    }
    return undefined;
  })();
  assert.equal(err?.status, 400);
});
