// Managed networks end to end, inside a private network namespace: bridge, dnsmasq, nftables, DHCP into a container.
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Netns } from '../helpers/netns.js';
import { startNetDaemon } from '../helpers/netns.js';
import { TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

async function bridgeAddrs(ns: Netns, name: string): Promise<string[] | undefined> {
  const r = await ns.exec('ip', ['-j', 'addr', 'show', 'dev', name], { allowFail: true });
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[])[0]!.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

async function ruleset(ns: Netns, name: string): Promise<string | undefined> {
  const r = await ns.exec('nft', ['list', 'table', 'inet', `lodge-${name}`], { allowFail: true });
  return r.code === 0 ? r.stdout : undefined;
}

async function dnsmasqPids(ns: Netns, name: string): Promise<number[]> {
  return ns.find('dnsmasq', `--interface=${name}`);
}

/** The container's IPv4 address on eth0, once it has one. */
async function containerIPv4(d: TestDaemon, name: string): Promise<string | undefined> {
  const r = await d.lxc(['exec', name, '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout)?.[1];
}

test('a bridge with DHCP, DNS and NAT: a container gets its static address, pings the gateway, shows in lxc list', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr1', 'ipv4.address=10.77.0.1/24', 'ipv4.nat=true', 'ipv6.address=none']);
  assert.deepEqual(await bridgeAddrs(ns, 'lbr1'), ['10.77.0.1/24']);
  assert.equal((await dnsmasqPids(ns, 'lbr1')).length, 1);
  assert.match((await ruleset(ns, 'lbr1')) ?? '', /ip saddr 10\.77\.0\.0\/24 ip daddr != 10\.77\.0\.0\/24 masquerade/);

  const shown = await d.client.get<{ managed: boolean; type: string; config: Record<string, string>; status: string }>('/1.0/networks/lbr1');
  assert.equal(shown.managed, true);
  assert.equal(shown.type, 'bridge');
  assert.equal(shown.status, 'Created');
  assert.equal(shown.config['ipv4.address'], '10.77.0.1/24');

  await d.lxc(['init', 'busybox', 'c1', '-n', 'lbr1']);
  await d.lxc(['config', 'device', 'set', 'c1', 'eth0', 'ipv4.address=10.77.0.50']);
  await d.lxc(['start', 'c1']);
  // The image's init runs udhcpc on eth0: it must get exactly the static address from dnsmasq.
  assert.equal(await waitFor('a DHCP lease in c1', () => containerIPv4(d, 'c1')), '10.77.0.50');
  const ping = await d.lxc(['exec', 'c1', '--', 'ping', '-c', '1', '-W', '2', '10.77.0.1'], { allowFail: true });
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);

  const leases = await d.client.get<{ hostname: string; address: string; type: string; hwaddr: string }[]>('/1.0/networks/lbr1/leases');
  const mac = (await d.client.get<{ config: Record<string, string> }>('/1.0/instances/c1')).config['volatile.eth0.hwaddr'];
  assert.match(mac ?? '', /^00:16:3e(:[0-9a-f]{2}){3}$/);
  assert.ok(leases.some((l) => l.hostname === 'c1' && l.address === '10.77.0.50' && l.type === 'static' && l.hwaddr === mac), JSON.stringify(leases));
  const cliLeases = await d.lxc(['network', 'list-leases', 'lbr1', '--format', 'csv']);
  assert.match(cliLeases.stdout, /c1,00:16:3e:[0-9a-f:]+,10\.77\.0\.50,STATIC/);

  const list = await d.lxc(['list', 'c1', '--format', 'csv', '-c', 'n4']);
  assert.match(list.stdout, /^c1,"?10\.77\.0\.50 \(eth0\)"?$/m);
  const state = await d.client.get<{ network: Record<string, { host_name: string; hwaddr: string }> }>('/1.0/instances/c1/state');
  assert.equal(state.network.eth0?.hwaddr, mac);
  assert.match(state.network.eth0?.host_name ?? '', /^veth/);

  // The DNS name of the container resolves through dnsmasq.
  const dns = await d.lxc(['exec', 'c1', '--', 'nslookup', 'c1.lxd', '10.77.0.1'], { allowFail: true });
  assert.match(dns.stdout, /10\.77\.0\.50/, dns.stdout + dns.stderr);

  // In use: refused, and nothing changes.
  const refused = await d.lxc(['network', 'delete', 'lbr1'], { allowFail: true });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /in use/);
  assert.ok(await bridgeAddrs(ns, 'lbr1'));

  await d.lxc(['delete', '--force', 'c1']);
  await d.lxc(['network', 'delete', 'lbr1']);
  assert.equal(await bridgeAddrs(ns, 'lbr1'), undefined);
  assert.deepEqual(await dnsmasqPids(ns, 'lbr1'), []);
  assert.equal(await ruleset(ns, 'lbr1'), undefined);
});

test('a daemon restart, and a crash, leave the network up and restore what is missing', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr2', 'ipv4.address=10.78.0.1/24', 'ipv4.nat=true', 'ipv6.address=fd42:78::1/64']);
  const [pid] = await dnsmasqPids(ns, 'lbr2');
  assert.ok(pid);
  await d.lxc(['launch', 'busybox', 'c1', '-n', 'lbr2']);
  const addr = await waitFor('a lease in c1', () => containerIPv4(d, 'c1'));
  // A crash takes nothing down: the container stays reachable, and the next start keeps the same dnsmasq.
  await d.kill9();
  assert.deepEqual(await dnsmasqPids(ns, 'lbr2'), [pid]);
  assert.equal((await ns.exec('busybox', ['ping', '-c', '1', '-W', '2', addr], { allowFail: true })).code, 0);
  await d.start();
  assert.deepEqual(await dnsmasqPids(ns, 'lbr2'), [pid]);
  // What went missing while lodged was down comes back at the next start, the running container's veth included.
  await d.stop();
  await ns.exec('nft', ['delete', 'table', 'inet', 'lodge-lbr2']);
  process.kill(pid!, 'SIGKILL');
  await ns.exec('ip', ['link', 'del', 'lbr2']);
  assert.notEqual((await ns.exec('busybox', ['ping', '-c', '1', '-W', '1', addr], { allowFail: true })).code, 0);
  // Leftovers of a create that crashed before its record was written are removed.
  await ns.exec('ip', ['link', 'add', 'ghost0', 'type', 'bridge']);
  await mkdir(join(d.dir, 'networks', 'ghost0'));
  await d.start();
  assert.equal(await bridgeAddrs(ns, 'ghost0'), undefined);
  assert.deepEqual(await readdir(join(d.dir, 'networks')), ['lbr2']);
  assert.deepEqual((await bridgeAddrs(ns, 'lbr2'))?.sort(), ['10.78.0.1/24', 'fd42:78::1/64']);
  assert.equal((await dnsmasqPids(ns, 'lbr2')).length, 1);
  assert.match((await ruleset(ns, 'lbr2')) ?? '', /masquerade/);
  const ping = await d.lxc(['exec', 'c1', '--', 'ping', '-c', '1', '-W', '2', '10.78.0.1'], { allowFail: true });
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
});

test('--no-default-network and lodge.default_network=false both skip lodgebr0', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  assert.equal(await bridgeAddrs(ns, 'lodgebr0'), undefined);
  await d.lxc(['config', 'set', 'lodge.default_network', 'false']);
  await d.stop();
  const again = new TestDaemon(d.dir, { wrap: ns.wrap, defaultNetwork: true });
  try {
    await again.start();
    assert.deepEqual((await again.client.get<{ managed: boolean }[]>('/1.0/networks?recursion=1')).filter((n) => n.managed), []);
    assert.equal(await bridgeAddrs(ns, 'lodgebr0'), undefined);
    assert.equal((await again.client.get<{ devices: Record<string, unknown> }>('/1.0/profiles/default')).devices.eth0, undefined);
  } finally {
    await again.stop();
    again.client.close();
  }
});

test('bad network configs get 400 and leave no bridge, process or rule behind', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr3', 'ipv4.address=10.79.0.1/24', 'ipv6.address=none']);
  const cases: [string[], RegExp][] = [
    [['bad0', 'ipv4.address=10.80.0.1/33'], /ipv4\.address/],
    [['bad1', 'ipv4.address=not-an-address'], /ipv4\.address/],
    [['bad2', 'ipv4.address=10.79.0.200/24', 'ipv6.address=none'], /overlaps/],
    [['bad3', 'ipv4.address=10.81.0.1/24', 'no.such.key=1'], /no\.such\.key/],
    [['bad4', 'ipv4.address=10.82.0.1/24', 'ipv4.dhcp.ranges=10.9.9.1-10.9.9.9'], /range/],
    [['bad5', 'ipv4.address=10.83.0.1/24', 'ipv6.address=none', 'raw.dnsmasq=no-such-dnsmasq-option'], /DNS and DHCP/],
  ];
  for (const [args, re] of cases) {
    const r = await d.client.query('POST', '/1.0/networks', { name: args[0], config: Object.fromEntries(args.slice(1).map((a) => a.split('='))) }).then(
      () => undefined,
      (e: Error & { status?: number }) => e,
    );
    assert.ok(r, `${args.join(' ')} was accepted`);
    assert.equal(r.status, 400, `${args.join(' ')}: ${r.message}`);
    assert.match(r.message, re, args.join(' '));
    assert.equal(await bridgeAddrs(ns, args[0]!), undefined, `bridge ${args[0]} left behind`);
    assert.deepEqual(await dnsmasqPids(ns, args[0]!), [], `dnsmasq for ${args[0]} left behind`);
    assert.equal(await ruleset(ns, args[0]!), undefined, `rules of ${args[0]} left behind`);
  }
  const names = (await d.client.get<{ name: string; managed: boolean }[]>('/1.0/networks?recursion=1')).filter((n) => n.managed).map((n) => n.name);
  assert.deepEqual(names, ['lbr3']);
  const update = await d.lxc(['network', 'set', 'lbr3', 'ipv4.address', '10.79.0.1/40'], { allowFail: true });
  assert.notEqual(update.code, 0);
  assert.deepEqual(await bridgeAddrs(ns, 'lbr3'), ['10.79.0.1/24']);
  // An update dnsmasq refuses is rolled back: the old config runs again and stays recorded.
  const broken = await d.lxc(['network', 'set', 'lbr3', 'ipv4.address=10.89.0.1/24', 'raw.dnsmasq=no-such-dnsmasq-option'], { allowFail: true });
  assert.match(broken.stderr, /DNS and DHCP/);
  assert.deepEqual(await bridgeAddrs(ns, 'lbr3'), ['10.79.0.1/24']);
  assert.equal((await dnsmasqPids(ns, 'lbr3')).length, 1);
  assert.equal((await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr3')).config['raw.dnsmasq'], undefined);
});
