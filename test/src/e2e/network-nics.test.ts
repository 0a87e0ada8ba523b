// nic devices and network life cycle end to end, inside a private network namespace: the default network,
// hot-plug, live address and limit changes, macvlan and p2p nics, update, rename, state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import type { Netns } from '../helpers/netns.js';
import { startNetDaemon } from '../helpers/netns.js';
import { waitFor } from '../helpers/wait.js';

async function ipv4In(d: TestDaemon, name: string, dev: string): Promise<string | undefined> {
  const r = await d.lxc(['exec', name, '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', dev], { allowFail: true });
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout)?.[1];
}

async function link(ns: Netns, name: string): Promise<{ address: string; master?: string } | undefined> {
  const r = await ns.exec('ip', ['-j', 'link', 'show', 'dev', name], { allowFail: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as { address: string; master?: string }[])[0] : undefined;
}

function csvList(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(','));
}

test('first start: lodgebr0 with automatic subnets and NAT, eth0 in the default profile, containers get addresses', async (t) => {
  const { ns, d } = await startNetDaemon(t, { defaultNetwork: true });
  const net = await d.client.get<{ config: Record<string, string>; managed: boolean }>('/1.0/networks/lodgebr0');
  assert.equal(net.managed, true);
  assert.match(net.config['ipv4.address'] ?? '', /^10\.\d+\.\d+\.1\/24$/);
  assert.equal(net.config['ipv4.nat'], 'true');
  const profile = await d.client.get<{ devices: Record<string, Record<string, string>> }>('/1.0/profiles/default');
  assert.deepEqual(profile.devices.eth0, { type: 'nic', name: 'eth0', network: 'lodgebr0' });
  const subnet = net.config['ipv4.address']!.replace(/\.1\/24$/, '.');

  await d.lxc(['launch', 'busybox', 'c1']);
  const addr = await waitFor('a dynamic lease', () => ipv4In(d, 'c1', 'eth0'));
  assert.ok(addr.startsWith(subnet), `${addr} not in ${subnet}0/24`);
  const list = await d.lxc(['list', '--format', 'csv', '-c', 'n4']);
  assert.match(list.stdout, new RegExp(`c1,"?${addr.replace(/\./g, '\\.')} \\(eth0\\)`));
  const leases = await d.client.get<{ hostname: string; address: string; type: string }[]>('/1.0/networks/lodgebr0/leases');
  assert.ok(leases.some((l) => l.address === addr && l.type === 'dynamic' && l.hostname === 'c1'), JSON.stringify(leases));
  assert.ok(leases.some((l) => l.hostname === 'lodgebr0.gw' && l.type === 'gateway'));
  // IPv6 is on in the namespace, so the default network has a ULA /64 too: SLAAC from dnsmasq's router
  // advertisements gives the container a global IPv6 address that lxc list shows.
  assert.match(net.config['ipv6.address'] ?? '', /^fd42:[0-9a-f:]+::1\/64$/);
  assert.equal(net.config['ipv6.nat'], 'true');
  const v6 = await waitFor('an IPv6 address', async () => (await d.lxc(['list', 'c1', '--format', 'csv', '-c', '6'])).stdout.match(/fd42:[0-9a-f:]+ \(eth0\)/)?.[0]);
  assert.ok(v6);
  // Used by the default profile and c1: deleting is refused.
  const used = await d.client.get<{ used_by: string[] }>('/1.0/networks/lodgebr0');
  assert.deepEqual(used.used_by.sort(), ['/1.0/instances/c1', '/1.0/profiles/default']);
  // Once created it is not created again, even after it is gone.
  await d.lxc(['delete', '--force', 'c1']);
  await d.lxc(['profile', 'device', 'remove', 'default', 'eth0']);
  await d.lxc(['network', 'delete', 'lodgebr0']);
  await d.restart();
  const names = (await d.client.get<{ name: string; managed: boolean }[]>('/1.0/networks?recursion=1')).filter((n) => n.managed);
  assert.deepEqual(names, []);
  assert.equal(await link(ns, 'lodgebr0'), undefined);
});

test('nics hot-plug into a running container; addresses and limits change live', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr5', 'ipv4.address=10.85.0.1/24', 'ipv6.address=none']);
  await d.lxc(['network', 'create', 'lbr6', 'ipv4.address=10.86.0.1/24', 'ipv6.address=none']);
  await d.lxc(['launch', 'busybox', 'c1', '-n', 'lbr5']);
  await waitFor('a lease on eth0', () => ipv4In(d, 'c1', 'eth0'));

  // Hot-plug a second nic on another bridge; the host side joins the bridge, the container sees eth1 with its MAC.
  await d.lxc(['config', 'device', 'add', 'c1', 'eth1', 'nic', 'network=lbr6', 'name=eth1', 'ipv4.address=10.86.0.77']);
  const inst = await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1');
  const mac = inst.config['volatile.eth1.hwaddr']!;
  const hostName = inst.config['volatile.eth1.host_name']!;
  assert.equal((await link(ns, hostName))?.master, 'lbr6');
  const inside = await d.lxc(['exec', 'c1', '--', 'cat', '/sys/class/net/eth1/address']);
  assert.equal(inside.stdout.trim(), mac);
  await d.lxc(['exec', 'c1', '--', 'udhcpc', '-i', 'eth1', '-n', '-q', '-t', '5', '-s', '/etc/udhcpc.script']);
  assert.equal(await ipv4In(d, 'c1', 'eth1'), '10.86.0.77');

  // A new static address on a running nic: no re-plug, the next DHCP exchange hands it out.
  await d.lxc(['config', 'device', 'set', 'c1', 'eth1', 'ipv4.address=10.86.0.88']);
  assert.equal((await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1')).config['volatile.eth1.host_name'], hostName);
  await d.lxc(['exec', 'c1', '--', 'udhcpc', '-i', 'eth1', '-n', '-q', '-t', '5', '-s', '/etc/udhcpc.script']);
  assert.equal(await ipv4In(d, 'c1', 'eth1'), '10.86.0.88');
  const taken = await d.lxc(['config', 'device', 'set', 'c1', 'eth0', 'ipv4.address=10.85.0.1'], { allowFail: true });
  assert.notEqual(taken.code, 0);
  const outside = await d.lxc(['config', 'device', 'set', 'c1', 'eth0', 'ipv4.address=10.99.0.5'], { allowFail: true });
  assert.match(outside.stderr, /not within network/);

  // Limits: htb on the host veth for ingress; egress policed (or shaped on an ifb where police is missing).
  await d.lxc(['config', 'device', 'set', 'c1', 'eth1', 'limits.ingress=10Mbit', 'limits.egress=5Mbit']);
  const qdisc = await ns.exec('tc', ['class', 'show', 'dev', hostName]);
  assert.match(qdisc.stdout, /htb 1:10 root prio 0 rate 10Mbit/);
  const ingress = await ns.exec('tc', ['filter', 'show', 'dev', hostName, 'parent', 'ffff:']);
  assert.match(ingress.stdout, /police|mirred/);

  // Unplug: the host veth and the container's interface go.
  await d.lxc(['config', 'device', 'remove', 'c1', 'eth1']);
  assert.equal(await link(ns, hostName), undefined);
  // Its volatile keys go with it (as LXD): a new eth1 would get a fresh MAC and host name.
  const left = Object.keys((await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1')).config).filter((k) => k.startsWith('volatile.eth1.'));
  assert.deepEqual(left, []);
  const gone = await d.lxc(['exec', 'c1', '--', 'test', '-e', '/sys/class/net/eth1'], { allowFail: true });
  assert.notEqual(gone.code, 0);
  assert.deepEqual((await ns.exec('ip', ['-j', 'link', 'show', 'type', 'ifb'])).stdout.includes('lodge:'), false);

  // A p2p nic: a veth whose host side stays unbridged.
  await d.lxc(['config', 'device', 'add', 'c1', 'p0', 'nic', 'nictype=p2p', 'name=p0']);
  const p2pHost = (await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1')).config['volatile.p0.host_name']!;
  const p2p = await link(ns, p2pHost);
  assert.ok(p2p);
  assert.equal(p2p.master, undefined);
  assert.equal((await d.lxc(['exec', 'c1', '--', 'test', '-e', '/sys/class/net/p0'], { allowFail: true })).code, 0);

  // State per interface: MAC, host-side name, addresses.
  const state = await d.client.get<{ network: Record<string, { hwaddr: string; host_name: string; addresses: { family: string; address: string }[] }> }>('/1.0/instances/c1/state');
  assert.equal(state.network.p0?.host_name, p2pHost);
  assert.ok(state.network.eth0?.addresses.some((a) => a.family === 'inet' && a.address.startsWith('10.85.0.')));
  // After a stop the host veths are gone and the generated host names are dropped.
  await d.lxc(['stop', 'c1', '--force']);
  assert.equal(await link(ns, p2pHost), undefined);
  assert.equal((await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1')).config['volatile.p0.host_name'], undefined);

  // Static DHCP/DNS entries follow the instance: renamed, then gone with it.
  const { readdir } = await import('node:fs/promises');
  const hostsDir = `${d.dir}/networks/lbr5/dnsmasq.hosts`;
  assert.deepEqual(await readdir(hostsDir), ['default_c1.eth0']);
  await d.lxc(['rename', 'c1', 'c9']);
  await waitFor('the renamed entry', async () => ((await readdir(hostsDir)).join() === 'default_c9.eth0' ? true : undefined));
  await d.lxc(['delete', 'c9']);
  await waitFor('no entries', async () => ((await readdir(hostsDir)).length === 0 ? true : undefined));
});

test('macvlan networks, network updates, renames, state, and host interfaces in the list', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  // A parent interface for macvlan inside the namespace (a veth pair: the kernel here has no dummy driver).
  await ns.exec('ip', ['link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1']);
  await ns.exec('ip', ['link', 'set', 'uplink0', 'up']);
  await ns.exec('ip', ['link', 'set', 'uplink1', 'up']);
  await d.lxc(['network', 'create', 'mv0', '--type=macvlan', 'parent=uplink0']);
  const missing = await d.lxc(['network', 'create', 'mv1', '--type=macvlan', 'parent=nosuch0'], { allowFail: true });
  assert.match(missing.stderr, /not found/);
  await d.lxc(['launch', 'busybox', 'c2', '-n', 'mv0']);
  const mac = (await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c2')).config['volatile.eth0.hwaddr'];
  const inside = await d.lxc(['exec', 'c2', '--', 'cat', '/sys/class/net/eth0/address']);
  assert.equal(inside.stdout.trim(), mac);
  assert.deepEqual((await d.client.get<{ used_by: string[] }>('/1.0/networks/mv0')).used_by, ['/1.0/instances/c2']);

  // Host interfaces are listed as unmanaged (veth pairs named veth* are skipped, as in LXD; lxc hides loopback and unknown).
  const rows = csvList((await d.lxc(['network', 'list', '--format', 'csv'])).stdout);
  assert.ok(rows.some((r) => r[0] === 'mv0' && r[1] === 'macvlan' && r[2] === 'YES'), JSON.stringify(rows));
  const all = await d.client.get<{ name: string; managed: boolean; type: string }[]>('/1.0/networks?recursion=1');
  assert.deepEqual(all.find((n) => n.name === 'uplink0'), { ...all.find((n) => n.name === 'uplink0'), managed: false, type: 'unknown' });
  assert.equal(all.find((n) => n.name === 'lo')?.type, 'loopback');
  assert.equal((await d.client.get<{ managed: boolean }>('/1.0/networks/uplink0')).managed, false);

  // Update: a new subnet moves the bridge address and dnsmasq's range; description and PATCH keep the rest.
  await d.lxc(['network', 'create', 'lbr7', 'ipv4.address=10.87.0.1/24', 'ipv6.address=none']);
  await d.lxc(['network', 'set', 'lbr7', 'ipv4.address=10.88.0.1/24', 'ipv4.dhcp.ranges=10.88.0.100-10.88.0.150']);
  const addrs = await ns.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lbr7']);
  assert.match(addrs.stdout, /10\.88\.0\.1\/24/);
  assert.doesNotMatch(addrs.stdout, /10\.87\.0\.1/);
  const [pid] = await ns.find('dnsmasq', '--interface=lbr7');
  const { readFile } = await import('node:fs/promises');
  assert.match((await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' '), /--dhcp-range 10\.88\.0\.100,10\.88\.0\.150,1h/);
  await d.client.query('PATCH', '/1.0/networks/lbr7', { description: 'seven' });
  const patched = await d.client.get<{ description: string; config: Record<string, string> }>('/1.0/networks/lbr7');
  assert.equal(patched.description, 'seven');
  assert.equal(patched.config['ipv4.address'], '10.88.0.1/24');

  // State of a managed bridge.
  const state = await d.client.get<{ addresses: { family: string; address: string; netmask: string }[]; state: string; type: string; mtu: number }>('/1.0/networks/lbr7/state');
  assert.ok(state.addresses.some((a) => a.family === 'inet' && a.address === '10.88.0.1' && a.netmask === '24'));
  assert.equal(state.type, 'broadcast');
  assert.equal(state.mtu, 1500);

  // Rename while unused: bridge, dnsmasq and rules follow.
  await d.lxc(['network', 'rename', 'lbr7', 'lbr8']);
  assert.equal((await ns.exec('ip', ['link', 'show', 'lbr7'], { allowFail: true })).code, 1);
  assert.match((await ns.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lbr8'])).stdout, /10\.88\.0\.1\/24/);
  assert.equal((await ns.find('dnsmasq', '--interface=lbr8')).length, 1);
  assert.deepEqual(await ns.find('dnsmasq', '--interface=lbr7'), []);
  assert.equal((await ns.exec('nft', ['list', 'table', 'inet', 'lodge-lbr8'], { allowFail: true })).code, 0);
  assert.notEqual((await ns.exec('nft', ['list', 'table', 'inet', 'lodge-lbr7'], { allowFail: true })).code, 0);
  // In use: no rename.
  const busy = await d.lxc(['network', 'rename', 'mv0', 'mv9'], { allowFail: true });
  assert.match(busy.stderr, /in use/);
});

test('pylxd manages networks through the same API', async (t) => {
  const { existsSync } = await import('node:fs');
  if (!existsSync('/usr/lib/python3/dist-packages/pylxd')) return t.skip('python3-pylxd is not installed');
  const { d } = await startNetDaemon(t);
  const py = `
import pylxd
c = pylxd.Client()
n = c.networks.create('py0', type='bridge', config={'ipv4.address': '10.93.0.1/24', 'ipv6.address': 'none'})
n.config['ipv4.nat'] = 'true'
n.save()
got = c.networks.get('py0')
print(got.type, got.managed, got.config['ipv4.address'], got.config['ipv4.nat'], c.networks.exists('py0'))
got.delete()
print(c.networks.exists('py0'))
`;
  const { run } = await import('../helpers/run.js');
  const r = await run('/usr/bin/python3', ['-c', py], { env: d.env });
  assert.equal(r.stdout, 'bridge True 10.93.0.1/24 true True\nFalse\n');
});
