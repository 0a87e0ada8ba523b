// Unit tests for dnsmasq arguments, static host lines and lease parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsmasqArgs, dnsmasqFiles, dnsName, hostsLine, parseLeases, staticFileName, usesDnsmasq } from './dnsmasq.js';

const files = dnsmasqFiles('/var/lib/lodge/networks/lbr0', '/var/lib/lodge/logs/dnsmasq.lbr0.log');

test('dnsmasq arguments for an IPv4 bridge follow LXD', () => {
  const args = dnsmasqArgs('lbr0', { 'ipv4.address': '10.0.3.1/24', 'ipv6.address': 'none' }, files, { user: 'nobody', group: 'nogroup' });
  assert.deepEqual(args, [
    '--strict-order',
    '--bind-interfaces',
    '--except-interface=lo',
    '--pid-file=/var/lib/lodge/networks/lbr0/dnsmasq.pid',
    '--no-ping',
    '--interface=lbr0',
    '--dhcp-rapid-commit',
    '--quiet-dhcp',
    '--quiet-dhcp6',
    '--quiet-ra',
    '--listen-address=10.0.3.1',
    '--dhcp-no-override',
    '--dhcp-authoritative',
    '--dhcp-leasefile=/var/lib/lodge/networks/lbr0/dnsmasq.leases',
    '--dhcp-hostsfile=/var/lib/lodge/networks/lbr0/dnsmasq.hosts',
    '--dhcp-range',
    '10.0.3.2,10.0.3.254,1h',
    '-s',
    'lxd',
    '--interface-name',
    '_gateway.lxd,lbr0',
    '-S',
    '/lxd/',
    '--conf-file=/var/lib/lodge/networks/lbr0/dnsmasq.raw',
    '--log-facility=/var/lib/lodge/logs/dnsmasq.lbr0.log',
    '-u',
    'nobody',
    '-g',
    'nogroup',
  ]);
});

test('dnsmasq arguments: ranges, expiry, gateway, MTU, search, IPv6 modes, DNS off', () => {
  const args = dnsmasqArgs(
    'b',
    {
      'ipv4.address': '10.0.3.1/24',
      'ipv4.dhcp.ranges': '10.0.3.10-10.0.3.20,10.0.3.100-10.0.3.110',
      'ipv4.dhcp.expiry': '2h',
      'ipv4.dhcp.gateway': '10.0.3.254',
      'bridge.mtu': '1400',
      'dns.search': 'example.org',
      'ipv6.address': 'fd42::1/64',
      'dns.mode': 'none',
    },
    files,
    { debug: true },
  ).join(' ');
  assert.match(args, /--dhcp-range 10\.0\.3\.10,10\.0\.3\.20,2h --dhcp-range 10\.0\.3\.100,10\.0\.3\.110,2h/);
  assert.match(args, /--dhcp-option-force=3,10\.0\.3\.254/);
  assert.match(args, /--dhcp-option-force=26,1400/);
  assert.match(args, /--dhcp-option-force=119,example\.org/);
  assert.match(args, /--listen-address=fd42::1 --enable-ra --dhcp-range ::,constructor:b,ra-stateless,ra-names/);
  assert.doesNotMatch(args, /--quiet-dhcp/);
  assert.doesNotMatch(args, /-s lxd/);
  assert.equal(args.split('--dhcp-no-override').length, 2);
  const stateful = dnsmasqArgs('b', { 'ipv4.address': 'none', 'ipv6.address': 'fd42::1/64', 'ipv6.dhcp.stateful': 'true' }, files).join(' ');
  assert.match(stateful, /--dhcp-range fd42::2,fd42::ffff:ffff:ffff:ffff,64,1h/);
  const raOnly = dnsmasqArgs('b', { 'ipv6.address': 'fd42::1/64', 'ipv6.dhcp': 'false' }, files).join(' ');
  assert.match(raOnly, /--dhcp-range ::,constructor:b,ra-only/);
  assert.doesNotMatch(dnsmasqArgs('b', { 'ipv4.address': '10.0.0.1/24', 'ipv4.dhcp': 'false' }, files).join(' '), /--dhcp-range/);
  assert.equal(usesDnsmasq({ 'ipv4.address': 'none', 'ipv6.address': 'none' }), false);
  assert.equal(usesDnsmasq({ 'ipv4.address': '10.0.0.1/24' }), true);
});

test('static host lines carry the MAC, static addresses and the DNS name as LXD writes them', () => {
  assert.equal(hostsLine({}, '00:16:3E:AA:BB:CC', '10.0.0.5', 'fd42::5', 'c1'), '00:16:3e:aa:bb:cc,10.0.0.5,[fd42::5],c1\n');
  assert.equal(hostsLine({ 'dns.mode': 'managed' }, '00:16:3e:aa:bb:cc', undefined, undefined, 'c1.proj'), '00:16:3e:aa:bb:cc,c1.proj\n');
  assert.equal(hostsLine({ 'dns.mode': 'dynamic' }, '00:16:3e:aa:bb:cc', undefined, undefined, 'c1'), undefined);
  assert.equal(hostsLine({ 'dns.mode': 'none' }, '00:16:3e:aa:bb:cc', '10.0.0.5', undefined, 'c1'), '00:16:3e:aa:bb:cc,10.0.0.5\n');
  assert.equal(staticFileName('default', 'c1', 'eth0'), 'default_c1.eth0');
  assert.equal(staticFileName('default', 'c1', '../../x/y'), 'default_c1...-..-x-y');
  assert.equal(dnsName('default', 'c1'), 'c1');
  assert.equal(dnsName('p1', 'c1'), 'c1.p1');
});

test('lease files parse IPv4 and IPv6 entries', () => {
  const text = `1700000000 00:16:3e:aa:bb:cc 10.0.0.50 c1 01:00:16:3e:aa:bb:cc
1700000100 00:16:3e:11:22:33 10.0.0.51 * *
duid 00:01:00:01:2c:5f:1a:2b:00:16:3e:00:00:01
1700000200 1234567 fd42::5 c2 00:04:11:22:33:44:55:66:77:88:99:00:00:16:3e:44:55:66
garbage
`;
  assert.deepEqual(parseLeases(text), [
    { expiry: 1700000000, hwaddr: '00:16:3e:aa:bb:cc', address: '10.0.0.50', hostname: 'c1' },
    { expiry: 1700000100, hwaddr: '00:16:3e:11:22:33', address: '10.0.0.51', hostname: '' },
    { expiry: 1700000200, hwaddr: '', address: 'fd42::5', hostname: 'c2' },
  ]);
});
