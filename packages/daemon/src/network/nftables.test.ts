// Unit tests for the nftables ruleset of a bridge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderRuleset, replaceScript, tableName } from './nftables.js';

test('a NATed dual-stack bridge gets forwarding, DHCP/DNS/ICMP and masquerade rules in its own table', () => {
  const r = renderRuleset('lbr0', { 'ipv4.address': '10.0.3.1/24', 'ipv4.nat': 'true', 'ipv6.address': 'fd42::1/64', 'ipv6.nat': 'true' })!;
  assert.match(r, /^table inet lodge-lbr0 \{/);
  assert.match(r, /chain forward_accept \{\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tmeta nfproto ipv4 oifname "lbr0" accept\n\t\tmeta nfproto ipv4 iifname "lbr0" accept\n\t\tmeta nfproto ipv6 oifname "lbr0" accept/);
  assert.match(r, /iifname "lbr0" udp dport 67 accept/);
  assert.match(r, /iifname "lbr0" udp dport 547 accept/);
  assert.match(r, /iifname "lbr0" icmpv6 type \{ 1, 2, 3, 4, 133, 135, 136, 143 \} accept/);
  assert.match(r, /type nat hook postrouting priority 100; policy accept;\n\t\tip saddr 10\.0\.3\.0\/24 ip daddr != 10\.0\.3\.0\/24 masquerade\n\t\tip6 saddr fd42::\/64 ip6 daddr != fd42::\/64 masquerade\n/);
});

test('SNAT address, firewall and routing switches, and no rules at all', () => {
  const snat = renderRuleset('b', { 'ipv4.address': '10.0.3.1/24', 'ipv4.nat': 'true', 'ipv4.nat.address': '192.0.2.10', 'ipv4.firewall': 'false' })!;
  assert.match(snat, /ip saddr 10\.0\.3\.0\/24 ip daddr != 10\.0\.3\.0\/24 snat to 192\.0\.2\.10/);
  assert.doesNotMatch(snat, /forward_accept|input_accept/);
  const noRouting = renderRuleset('b', { 'ipv4.address': '10.0.3.1/24', 'ipv4.routing': 'false' })!;
  assert.doesNotMatch(noRouting, /forward_accept/);
  assert.match(noRouting, /input_accept/);
  assert.doesNotMatch(noRouting, /masquerade/);
  assert.equal(renderRuleset('b', { 'ipv4.address': 'none', 'ipv6.address': 'none' }), undefined);
  assert.equal(renderRuleset('b', { 'ipv4.address': '10.0.3.1/24', 'ipv4.firewall': 'false' }), undefined);
});

test('the table is replaced in one transaction, or only removed', () => {
  assert.equal(tableName('x'), 'lodge-x');
  assert.equal(replaceScript('x', undefined), 'add table inet lodge-x\ndelete table inet lodge-x\n');
  assert.match(replaceScript('x', 'table inet lodge-x {}\n'), /^add table inet lodge-x\ndelete table inet lodge-x\ntable inet lodge-x \{\}\n$/);
});
