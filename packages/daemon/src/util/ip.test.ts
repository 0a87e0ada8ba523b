// Unit tests for IP and CIDR arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, checkHostCidr, contains, eui64, formatIp, netmaskString, nthAddress, overlaps, parseCidr, parseIp, parseRange, subnetString } from './ip.js';

test('IPv4 and IPv6 addresses parse and print canonically', () => {
  assert.equal(parseIp('10.1.2.3')?.value, (10n << 24n) | (1n << 16n) | (2n << 8n) | 3n);
  assert.equal(canonicalIp('fd42:0:0:0:0:0:0:1'), 'fd42::1');
  assert.equal(canonicalIp('FD42:0001:0000:0000:1:0:0:0'), 'fd42:1:0:0:1::');
  assert.equal(canonicalIp('1:0:0:2:0:0:3:4'), '1::2:0:0:3:4');
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
  assert.equal(canonicalIp('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  assert.equal(parseIp('10.0.0.256'), undefined);
  assert.equal(parseIp('nope'), undefined);
  assert.equal(formatIp(4, 0xffffffffn), '255.255.255.255');
});

test('CIDR math: network, n-th address, containment and overlap', () => {
  const c = parseCidr('10.77.0.1/24')!;
  assert.equal(subnetString(c), '10.77.0.0/24');
  assert.equal(formatIp(4, nthAddress(c, 2)), '10.77.0.2');
  assert.equal(formatIp(4, nthAddress(c, -2)), '10.77.0.254');
  assert.ok(contains(c, 4, parseIp('10.77.0.50')!.value));
  assert.ok(!contains(c, 4, parseIp('10.77.1.50')!.value));
  assert.ok(!contains(c, 6, 1n));
  assert.ok(overlaps(c, parseCidr('10.0.0.0/8')!));
  assert.ok(!overlaps(c, parseCidr('10.78.0.1/24')!));
  assert.ok(!overlaps(c, parseCidr('fd00::/8')!));
  const v6 = parseCidr('fd42:1:2:3::1/64')!;
  assert.equal(subnetString(v6), 'fd42:1:2:3::/64');
  assert.equal(formatIp(6, nthAddress(v6, -1)), 'fd42:1:2:3:ffff:ffff:ffff:ffff');
  assert.equal(parseCidr('10.0.0.1/33'), undefined);
  assert.equal(parseCidr('10.0.0.1'), undefined);
  assert.equal(netmaskString(4, 24), '255.255.255.0');
});

test('a bridge address must be a usable host address with a prefix', () => {
  checkHostCidr(4)('10.0.0.1/24');
  checkHostCidr(6)('fd42::1/64');
  for (const bad of ['10.0.0.0/24', '10.0.0.255/24', '10.0.0.1/31', '10.0.0.1', 'fd42::1/64', 'x/24']) assert.throws(() => checkHostCidr(4)(bad), Error, bad);
  assert.throws(() => checkHostCidr(6)('fd42::/64'));
});

test('ranges and EUI-64', () => {
  assert.deepEqual(parseRange('10.0.0.10-10.0.0.20'), { family: 4, start: parseIp('10.0.0.10')!.value, end: parseIp('10.0.0.20')!.value });
  assert.equal(parseRange('10.0.0.20-10.0.0.10'), undefined);
  assert.equal(parseRange('10.0.0.1-fd00::1'), undefined);
  assert.equal(formatIp(6, eui64(parseCidr('fd42:1:2:3::1/64')!, '00:16:3e:aa:bb:cc')!), 'fd42:1:2:3:216:3eff:feaa:bbcc');
});
