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

/** How a request is refused: its status and message (it must be refused). */
async function refusal(d: TestDaemon, method: string, path: string, body?: unknown): Promise<{ status?: number; message: string }> {
  return d.client.query(method, path, body).then(
    () => assert.fail(`${method} ${path} ${JSON.stringify(body)} was accepted`),
    (e: Error & { status?: number }) => ({ status: e.status, message: e.message }),
  );
}

// The expected replies below are what a real LXD 5.0.2 (Debian's lxd 5.0.2-5) answered to the same requests.
test('the network API answers as LXD 5.0.2: create reply, names, types, unknown and empty keys, missing networks', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  const made = await d.client.query('POST', '/1.0/networks', { name: 'lbr4', config: { 'ipv4.address': '10.84.0.1/24', 'ipv6.address': 'none' } });
  assert.deepEqual([made.status, made.type, made.location, made.metadata], [201, 'sync', '/1.0/networks/lbr4', null]);
  const create = (name: string, extra: Record<string, unknown> = {}) => refusal(d, 'POST', '/1.0/networks', { name, config: {}, ...extra });
  assert.deepEqual(await create('lbr4'), { status: 400, message: 'The network already exists' });
  assert.deepEqual(await create(''), { status: 400, message: 'No name provided' });
  assert.deepEqual(await create('x'), { status: 400, message: 'Network interface is too short (minimum 2 characters)' });
  assert.deepEqual(await create('abcdefghijklmnop'), { status: 400, message: 'Network interface is too long (maximum 15 characters)' });
  assert.deepEqual(await create('a/b'), { status: 400, message: 'Network interface contains invalid characters' });
  assert.deepEqual(await create('bad6', { type: 'nosuch' }), { status: 400, message: 'Unknown driver' });
  assert.match((await create('bad6', { type: 'ovn' })).message, /"ovn" is not supported by lodge/);
  // LXD answers these three with a 500 (it validates after writing its record); lodge keeps the 400, same words.
  assert.deepEqual(await create('bad6', { config: { 'ipv4.address': '10.85.0.1/24', 'no.such': '1' } }), { status: 400, message: 'Invalid option for network "bad6" option "no.such"' });
  assert.deepEqual(await create('bad6', { config: { '': '1' } }), { status: 400, message: 'Invalid option for network "bad6" option ""' });
  assert.match((await create('bad6', { config: { 'ipv4.address': 'bad' } })).message, /^Invalid value for network "bad6" option "ipv4\.address": /);
  assert.equal(await bridgeAddrs(ns, 'bad6'), undefined);
  // At create, empty values are dropped before the keys are looked at, so an unknown key without a value passes.
  await d.client.query('POST', '/1.0/networks', { name: 'lbr5', config: { 'ipv4.address': '10.85.0.1/24', 'ipv6.address': 'none', 'no.such': '', '': '' } });
  assert.deepEqual((await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr5')).config, { 'ipv4.address': '10.85.0.1/24', 'ipv6.address': 'none' });

  // PUT and PATCH check the whole new config: an unknown key is refused by name, with or without a value.
  const before = await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr4');
  const update = (method: string, config: Record<string, string>) => refusal(d, method, '/1.0/networks/lbr4', { config });
  const invalidOption = (key: string) => ({ status: 400, message: `Invalid option for network "lbr4" option "${key}"` });
  assert.deepEqual(await update('PATCH', { '': 'x' }), invalidOption(''));
  assert.deepEqual(await update('PATCH', { '': '' }), invalidOption(''));
  assert.deepEqual(await update('PATCH', { 'no.such': '' }), invalidOption('no.such'));
  assert.deepEqual(await update('PUT', { ...before.config, '': 'x' }), invalidOption(''));
  assert.deepEqual(await update('PUT', { 'no.such': 'x' }), invalidOption('no.such'));
  // A bad value of a known key is reported before an unknown key.
  const bad = await update('PATCH', { 'no.such': '1', 'ipv4.address': 'bad' });
  assert.equal(bad.status, 400);
  assert.match(bad.message, /^Invalid value for network "lbr4" option "ipv4\.address": /);
  assert.deepEqual(await d.client.get('/1.0/networks/lbr4'), before);
  assert.deepEqual(await bridgeAddrs(ns, 'lbr4'), ['10.84.0.1/24']);
  // An empty value unsets a known key; user.* keys are free.
  await d.client.query('PATCH', '/1.0/networks/lbr4', { config: { 'ipv4.nat': 'true', 'user.note': 'x' } });
  await d.client.query('PATCH', '/1.0/networks/lbr4', { config: { 'ipv4.nat': '', 'user.note': '' } });
  assert.deepEqual((await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr4')).config, before.config);

  // A network that does not exist, and renames.
  const failed = { status: 404, message: 'Failed loading network: Network not found' };
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/nosuch'), { status: 404, message: 'Network not found' });
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/nosuch/state'), { status: 404, message: 'Network interface "nosuch" not found' });
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/nosuch/leases'), failed);
  assert.deepEqual(await refusal(d, 'PUT', '/1.0/networks/nosuch', { config: {} }), failed);
  assert.deepEqual(await refusal(d, 'PATCH', '/1.0/networks/nosuch', { config: {} }), failed);
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks/nosuch', { name: 'x2' }), failed);
  assert.deepEqual(await refusal(d, 'DELETE', '/1.0/networks/nosuch'), failed);
  assert.deepEqual(await refusal(d, 'DELETE', '/1.0/networks/lo'), failed);
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks/lbr5', { name: '' }), { status: 400, message: 'New network name not provided' });
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks/lbr5', { name: 'x' }), { status: 400, message: 'Network interface is too short (minimum 2 characters)' });
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks/lbr5', { name: 'lbr4' }), { status: 409, message: 'Network "lbr4" already exists' });
  const renamed = await d.client.query('POST', '/1.0/networks/lbr5', { name: 'lbr7' });
  assert.deepEqual([renamed.status, renamed.location], [201, '/1.0/networks/lbr7']);
  // The gateway's lease has no location.
  assert.deepEqual(await d.client.get('/1.0/networks/lbr4/leases'), [{ hostname: 'lbr4.gw', hwaddr: '', address: '10.84.0.1', type: 'gateway', location: '' }]);
});

test('?target= on a server that is not clustered: another member is not found, "none" is this server', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr8', 'ipv4.address=10.88.0.1/24', 'ipv6.address=none']);
  const notFound = { status: 404, message: 'Cluster member not found' };
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/lbr8?target=m1'), notFound);
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/nosuch?target=m1'), notFound);
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/lbr8/state?target=m1'), notFound);
  assert.deepEqual(await refusal(d, 'PUT', '/1.0/networks/lbr8?target=m1', { config: { 'ipv4.address': '10.88.0.1/24' } }), notFound);
  assert.deepEqual(await refusal(d, 'PATCH', '/1.0/networks/lbr8?target=m1', { config: { 'user.a': '1' } }), notFound);
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks?target=m1', { name: 'lbr9', config: { 'ipv4.address': '10.89.0.1/24' } }), notFound);
  assert.equal(await bridgeAddrs(ns, 'lbr9'), undefined);
  // Creating checks the name and the type before the target, as LXD does.
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks?target=m1', { name: 'x', config: {} }), { status: 400, message: 'Network interface is too short (minimum 2 characters)' });
  assert.deepEqual((await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr8')).config, { 'ipv4.address': '10.88.0.1/24', 'ipv6.address': 'none' });
  // Ignored, as by LXD: the list, the leases, rename and delete; and "none", the member name of a lone server.
  assert.ok((await d.client.get<string[]>('/1.0/networks?target=m1')).includes('/1.0/networks/lbr8'));
  assert.equal((await d.client.get<unknown[]>('/1.0/networks/lbr8/leases?target=m1')).length, 1);
  assert.equal((await d.client.get<{ name: string }>('/1.0/networks/lbr8?target=none')).name, 'lbr8');
  await d.client.query('PATCH', '/1.0/networks/lbr8?target=none', { config: { 'user.a': '1' } });
  await d.client.query('POST', '/1.0/networks/lbr8?target=m1', { name: 'lbr9' });
  await d.client.query('DELETE', '/1.0/networks/lbr9?target=m1');
  assert.equal(await bridgeAddrs(ns, 'lbr9'), undefined);
});

test('projects: features.networks=true gives an own, empty network list where bridges cannot be made; others see default\'s', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lxc(['network', 'create', 'lbr6', 'ipv4.address=10.86.0.1/24', 'ipv6.address=none']);
  await d.lxc(['project', 'create', 'pn', '-c', 'features.networks=true']);
  await d.lxc(['project', 'create', 'po']);
  // Without the feature, the default project's networks (and the host's interfaces), with default's URLs.
  const inPo = await d.client.get<string[]>('/1.0/networks?project=po');
  assert.ok(inPo.includes('/1.0/networks/lbr6') && inPo.includes('/1.0/networks/lo'), JSON.stringify(inPo));
  assert.equal((await d.client.get<{ name: string }>('/1.0/networks/lbr6?project=po')).name, 'lbr6');
  // With it: nothing, not even host interfaces.
  assert.deepEqual(await d.client.get('/1.0/networks?project=pn'), []);
  assert.deepEqual(await d.client.get('/1.0/networks?project=pn&recursion=1'), []);
  assert.equal((await d.lxc(['network', 'list', '--project', 'pn', '--format', 'csv'])).stdout, '');
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/lbr6?project=pn'), { status: 404, message: 'Network not found' });
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/lo?project=pn'), { status: 404, message: 'Network not found' });
  const failed = { status: 404, message: 'Failed loading network: Network not found' };
  assert.deepEqual(await refusal(d, 'PATCH', '/1.0/networks/lbr6?project=pn', { config: { 'user.a': '1' } }), failed);
  assert.deepEqual(await refusal(d, 'PUT', '/1.0/networks/lbr6?project=pn', { config: {} }), failed);
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks/lbr6?project=pn', { name: 'lbr7' }), failed);
  assert.deepEqual(await refusal(d, 'DELETE', '/1.0/networks/lbr6?project=pn'), failed);
  assert.deepEqual(await refusal(d, 'GET', '/1.0/networks/lbr6/leases?project=pn'), failed);
  // The state falls back to the host interface of that name, whatever the project, as in LXD.
  assert.equal((await d.client.get<{ type: string }>('/1.0/networks/lbr6/state?project=pn')).type, 'broadcast');
  // Bridges and macvlans are default-project types; without a type LXD picks ovn there, which lodge does not have.
  const nonDefault = { status: 400, message: 'Network type does not support non-default projects' };
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks?project=pn', { name: 'pbr0', type: 'bridge', config: { 'ipv4.address': '10.87.0.1/24' } }), nonDefault);
  assert.deepEqual(await refusal(d, 'POST', '/1.0/networks?project=pn', { name: 'pmv0', type: 'macvlan', config: { parent: 'lo' } }), nonDefault);
  assert.match((await refusal(d, 'POST', '/1.0/networks?project=pn', { name: 'pbr0', config: {} })).message, /"ovn" is not supported by lodge/);
  const cli = await d.lxc(['network', 'create', 'pbr0', '--type', 'bridge', '--project', 'pn'], { allowFail: true });
  assert.equal(cli.stderr, 'Error: Network type does not support non-default projects\n');
  assert.equal(await bridgeAddrs(ns, 'pbr0'), undefined);

  // A nic naming the network resolves in the project's own list; a bridged nic on the host bridge still works.
  const noNet = await refusal(d, 'PATCH', '/1.0/profiles/default?project=pn', { devices: { eth0: { type: 'nic', network: 'lbr6', name: 'eth0' } } });
  assert.deepEqual(noNet, { status: 404, message: 'Device validation failed for "eth0": Failed loading device "eth0": Failed to load network "lbr6" for project "pn": Network not found' });
  await d.client.query('PATCH', '/1.0/profiles/default?project=pn', { devices: { eth0: { type: 'nic', nictype: 'bridged', parent: 'lbr6', name: 'eth0' } } });
  await d.client.query('PATCH', '/1.0/profiles/default?project=po', { devices: { eth0: { type: 'nic', network: 'lbr6', name: 'eth0' } } });
  // used_by counts projects that see default's networks only; the default project lists its networks.
  assert.deepEqual((await d.client.get<{ used_by: string[] }>('/1.0/networks/lbr6')).used_by, ['/1.0/profiles/default?project=po']);
  assert.ok((await d.client.get<{ used_by: string[] }>('/1.0/projects/default')).used_by.includes('/1.0/networks/lbr6'));
  // Leases: the gateway only in the network's own project.
  assert.deepEqual(await d.client.get('/1.0/networks/lbr6/leases?project=po'), []);
  assert.equal((await d.client.get<{ type: string }[]>('/1.0/networks/lbr6/leases')).filter((l) => l.type === 'gateway').length, 1);
  // Changes through a project without the feature act on default's network.
  await d.client.query('PATCH', '/1.0/networks/lbr6?project=po', { config: { 'user.via': 'po' } });
  assert.equal((await d.client.get<{ config: Record<string, string> }>('/1.0/networks/lbr6')).config['user.via'], 'po');
  assert.deepEqual(await refusal(d, 'DELETE', '/1.0/networks/lbr6?project=po'), { status: 400, message: 'The network is currently in use' });
  await d.client.query('PUT', '/1.0/profiles/default?project=po', { config: {}, devices: {} });
  await d.client.query('DELETE', '/1.0/networks/lbr6?project=po');
  assert.equal(await bridgeAddrs(ns, 'lbr6'), undefined);
});
