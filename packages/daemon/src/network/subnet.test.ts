// Unit tests for automatic subnet choice from a route table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlaps, parseCidr } from '../util/ip.js';
import { chooseSubnetV4, chooseSubnetV6, parseProcIpv6Route, parseProcRoute } from './subnet.js';

const procRoute = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
eth0	0000000A	FE0200C0	0003	0	0	0	000000FF	0	0	0
`;

const procIpv6 = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
`;

test('route tables parse into destinations, devices and whether they are directly connected', () => {
  const v4 = parseProcRoute(procRoute);
  assert.deepEqual(v4.map((r) => [r.dev, r.dest.prefix, r.connected]), [['eth0', 0, false], ['eth0', 24, true], ['eth0', 8, false]]);
  assert.ok(overlaps(v4[1]!.dest, parseCidr('192.0.2.9/32')!));
  assert.ok(overlaps(v4[2]!.dest, parseCidr('10.200.0.1/24')!));
  const v6 = parseProcIpv6Route(procIpv6);
  assert.deepEqual(v6.map((r) => [r.dev, r.dest.prefix, r.connected]), [['eth0', 64, true], ['eth0', 0, false]]);
});

test('auto subnets avoid every local route and address, ignore default routes, and follow LXD shapes', () => {
  const routes = parseProcRoute(procRoute).map((r) => r.dest);
  // A route to 10.0.0.0/8 covers all of 10.x: nothing can be chosen, and nothing is probed to decide.
  assert.equal(chooseSubnetV4(routes, () => 7), undefined);
  const some = [parseCidr('10.1.2.0/24')!, parseCidr('0.0.0.0/0')!];
  let calls = 0;
  // The random source first proposes a taken subnet (10.1.2.x), then a free one.
  const picked = chooseSubnetV4(some, () => [1, 2, 3, 4][calls++ % 4]!);
  assert.equal(picked, '10.3.4.1/24');
  assert.match(chooseSubnetV4([])!, /^10\.\d+\.\d+\.1\/24$/);
  const v6 = chooseSubnetV6(parseProcIpv6Route(procIpv6).map((r) => r.dest));
  assert.match(v6!, /^fd42:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+::1\/64$/);
});
