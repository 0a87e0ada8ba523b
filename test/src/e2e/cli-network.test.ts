// lodge network ... and launch -n against a lodged in a private network namespace, each command checked against lxc's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import type { Netns } from '../helpers/netns.js';
import { startNetDaemon } from '../helpers/netns.js';
import type { CmdOptions, CmdResult } from '../helpers/run.js';
import { waitFor } from '../helpers/wait.js';

interface Net {
  name: string;
  type: string;
  managed: boolean;
  description: string;
  config: Record<string, string>;
}

type Devices = Record<string, Record<string, string>>;

const outcome = (r: CmdResult): CmdResult => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** Runs the same command through lodge and lxc; both must print the same and exit the same. */
async function same(d: TestDaemon, args: string[], opts: CmdOptions = {}): Promise<CmdResult> {
  const ours = await d.lodge(args, { ...opts, allowFail: true });
  const theirs = await d.lxc(args, { ...opts, allowFail: true });
  assert.deepEqual(outcome(ours), outcome(theirs), `lodge ${args.join(' ')}`);
  return ours;
}

/** Byte and packet counters move while a container runs: blank them before comparing two `network info` outputs. */
const steady = (s: string): string => s.replace(/^( {2}(Bytes|Packets) (received|sent): ).*$/gm, '$1N');

async function networks(d: TestDaemon): Promise<Net[]> {
  return d.client.get<Net[]>('/1.0/networks?recursion=1');
}

async function network(d: TestDaemon, name: string): Promise<Net> {
  return d.client.get<Net>(`/1.0/networks/${name}`);
}

async function devices(d: TestDaemon, kind: 'instances' | 'profiles', name: string): Promise<Devices> {
  return (await d.client.get<{ devices: Devices }>(`/1.0/${kind}/${name}`)).devices;
}

async function hostLink(ns: Netns, name: string): Promise<boolean> {
  return (await ns.exec('ip', ['link', 'show', 'dev', name], { allowFail: true })).code === 0;
}

test('lodge launch -n: DHCP on the network, and list, show, get, info, list-leases print what lxc prints', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  assert.equal((await d.lodge(['network', 'create', 'nbr0', 'ipv4.address=10.91.0.1/24', 'ipv6.address=none'])).stdout, 'Network nbr0 created\n');
  await d.lodge(['network', 'create', 'idle0', 'ipv4.address=10.92.0.1/24', 'ipv6.address=none', 'ipv4.nat=true']);
  await ns.exec('ip', ['link', 'add', 'hbr0', 'type', 'bridge']);
  await d.lxc(['project', 'create', 'p1']);

  const launched = await d.lodge(['launch', 'busybox', 'c1', '-n', 'nbr0']);
  assert.equal(launched.stdout, 'Creating c1\nStarting c1\n');
  assert.deepEqual((await devices(d, 'instances', 'c1')).eth0, { name: 'eth0', type: 'nic', network: 'nbr0' });
  // The image's init runs udhcpc on eth0; dnsmasq on nbr0 answers, and `lodge list` shows the address.
  const addr = await waitFor('an address from nbr0 in lodge list', async () => /^c1,"?(10\.91\.0\.\d+) \(eth0\)"?$/m.exec((await d.lodge(['list', 'c1', '-f', 'csv', '-c', 'n4'])).stdout)?.[1], 60_000);
  assert.equal((await d.lodge(['list', 'c1', '-c', 'n4'])).stdout, (await d.lxc(['list', 'c1', '-c', 'n4'])).stdout);
  const leases = await waitFor('the lease of c1', async () => {
    const r = await d.lodge(['network', 'list-leases', 'nbr0', '-f', 'csv']);
    return r.stdout.includes(`,${addr},DYNAMIC`) ? r.stdout : undefined;
  });
  assert.match(leases, new RegExp(`^c1,00:16:3e(:[0-9a-f]{2}){3},${addr.replace(/\./g, '\\.')},DYNAMIC\nnbr0\\.gw,,10\\.91\\.0\\.1,GATEWAY\n$`));

  for (const format of ['table', 'csv', 'json', 'yaml', 'compact']) {
    await same(d, ['network', 'list', '-f', format]);
    await same(d, ['network', 'list-leases', 'nbr0', '--format', format]);
  }
  const table = await same(d, ['network', 'ls']);
  assert.match(table.stdout, /\| hbr0 +\| bridge \| NO +\|/);
  assert.match(table.stdout, /\| nbr0 +\| bridge \| YES +\| 10\.91\.0\.1\/24 \| none +\| +\| 1 +\| CREATED \|/);
  assert.doesNotMatch(table.stdout, /\| lo /);
  for (const name of ['nbr0', 'idle0', 'hbr0', 'lo']) {
    await same(d, ['network', 'show', name]);
    await same(d, ['network', 'get', name, 'ipv4.address']);
    await same(d, ['network', 'get', name, 'no.such.key']);
  }
  assert.equal((await d.lodge(['network', 'get', 'idle0', 'ipv4.nat'])).stdout, 'true\n');
  assert.equal((await d.lodge(['network', 'get', 'idle0', 'dns.domain'])).stdout, '');
  for (const name of ['idle0', 'hbr0', 'lo']) await same(d, ['network', 'info', name]);
  const ours = await d.lodge(['network', 'info', 'nbr0']);
  assert.equal(steady(ours.stdout), steady((await d.lxc(['network', 'info', 'nbr0'])).stdout));
  assert.match(ours.stdout, /^Name: nbr0\nMAC address: 00:16:3e(:[0-9a-f]{2}){3}\nMTU: 1500\nState: up\nType: broadcast\n\nIP addresses:\n {2}inet\t10\.91\.0\.1\/24 \(global\)\n/);
  assert.match(ours.stdout, /\nBridge:\n {2}ID: 8000\.[0-9a-f]{12}\n {2}STP: false\n[^]*\n {2}Upper devices: veth/);

  // The same through a remote (a second name for the same unix socket) and in another project, which shares the
  // default project's networks (no features.networks).
  await d.lodge(['remote', 'add', 'other', `unix://${d.socket}`]);
  await d.lxc(['remote', 'add', 'other', `unix://${d.socket}`]);
  await same(d, ['network', 'list', 'other:', '-f', 'csv']);
  await same(d, ['network', 'show', 'other:nbr0']);
  await same(d, ['network', 'get', 'other:idle0', 'ipv4.address']);
  await same(d, ['network', 'info', 'other:idle0']);
  await same(d, ['network', 'list-leases', 'other:idle0']);
  await same(d, ['network', 'list', '--project', 'p1', '-f', 'csv']);
  await same(d, ['network', 'show', 'idle0', '--project', 'p1']);
  await same(d, ['network', 'list', '--project', 'nope']);
  await same(d, ['network', 'list', 'other:', '--project', 'nope']);
});

test('create, set, unset, edit, rename and delete through lodge change the network as the API shows', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lodge(['network', 'create', 'cbr0', 'ipv4.address=10.93.0.1/24', 'ipv6.address=none', 'dns.domain=one']);
  let net = await network(d, 'cbr0');
  assert.deepEqual([net.type, net.managed, net.config], ['bridge', true, { 'ipv4.address': '10.93.0.1/24', 'ipv6.address': 'none', 'dns.domain': 'one' }]);
  assert.ok(await hostLink(ns, 'cbr0'));

  assert.equal((await d.lodge(['network', 'set', 'cbr0', 'user.a=1', 'dns.domain=two'])).stdout, '');
  await d.lodge(['network', 'set', 'cbr0', 'user.b', 'a value with spaces']);
  await d.lodge(['network', 'set', 'cbr0', 'user.c=-'], { input: 'from stdin' });
  net = await network(d, 'cbr0');
  assert.equal(net.config['dns.domain'], 'two');
  assert.deepEqual([net.config['user.a'], net.config['user.b'], net.config['user.c']], ['1', 'a value with spaces', 'from stdin']);
  await d.lodge(['network', 'unset', 'cbr0', 'user.a']);
  await d.lodge(['network', 'unset', 'cbr0', 'dns.domain']);
  net = await network(d, 'cbr0');
  assert.equal(net.config['user.a'], undefined);
  assert.equal(net.config['dns.domain'], undefined);

  // edit from stdin replaces config and description; name, type and the rest are ignored as lxc ignores them.
  await d.lodge(['network', 'edit', 'cbr0'], {
    input: 'name: other\ntype: macvlan\ndescription: edited by lodge\nconfig:\n  ipv4.address: 10.93.0.1/24\n  ipv4.nat: true\n  ipv6.address: none\n',
  });
  net = await network(d, 'cbr0');
  assert.equal(net.description, 'edited by lodge');
  assert.deepEqual(net.config, { 'ipv4.address': '10.93.0.1/24', 'ipv4.nat': 'true', 'ipv6.address': 'none' });
  assert.equal(net.type, 'bridge');
  // What lodge wrote reads back the same through lxc.
  assert.equal((await d.lodge(['network', 'show', 'cbr0'])).stdout, (await d.lxc(['network', 'show', 'cbr0'])).stdout);

  assert.equal((await d.lodge(['network', 'rename', 'cbr0', 'cbr1'])).stdout, 'Network cbr0 renamed to cbr1\n');
  assert.equal((await network(d, 'cbr1')).description, 'edited by lodge');
  assert.ok(await hostLink(ns, 'cbr1'));
  assert.equal(await hostLink(ns, 'cbr0'), false);

  // A macvlan network on a host bridge of the namespace, by --type and -t; quiet create prints nothing.
  await ns.exec('ip', ['link', 'add', 'hbr0', 'type', 'bridge']);
  assert.equal((await d.lodge(['network', 'create', 'mv0', '--type', 'macvlan', 'parent=hbr0', '-q'])).stdout, '');
  await d.lodge(['network', 'create', 'mv1', '-t', 'macvlan', 'parent=hbr0']);
  assert.deepEqual(
    (await networks(d)).filter((n) => n.managed).map((n) => [n.name, n.type, n.config.parent ?? '']),
    [['cbr1', 'bridge', ''], ['mv0', 'macvlan', 'hbr0'], ['mv1', 'macvlan', 'hbr0']],
  );
  await same(d, ['network', 'list', '-f', 'csv']);
  await same(d, ['network', 'info', 'mv0']);

  assert.equal((await d.lodge(['network', 'delete', 'cbr1'])).stdout, 'Network cbr1 deleted\n');
  await d.lodge(['network', 'rm', 'mv0']);
  await d.lodge(['network', 'delete', 'mv1', '--quiet']);
  assert.deepEqual((await networks(d)).filter((n) => n.managed), []);
  assert.equal(await hostLink(ns, 'cbr1'), false);
  assert.deepEqual(await ns.find('dnsmasq'), []);
});

test('attach, detach, attach-profile, detach-profile and init -n add and remove the nics lxc would', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await ns.exec('ip', ['link', 'add', 'hbr0', 'type', 'bridge']);
  await d.lodge(['network', 'create', 'abr0', 'ipv4.address=10.94.0.1/24', 'ipv6.address=none']);
  await d.lodge(['init', 'busybox', 'c1']);
  await d.lxc(['init', 'busybox', 'c2']);
  await d.lodge(['profile', 'create', 'p-lodge']);
  await d.lodge(['profile', 'create', 'p-lxc']);

  // The same attach through both clients gives the same device; nothing is printed.
  assert.equal((await d.lodge(['network', 'attach', 'abr0', 'c1'])).stdout, '');
  await d.lxc(['network', 'attach', 'abr0', 'c2']);
  assert.deepEqual(await devices(d, 'instances', 'c1'), { abr0: { type: 'nic', network: 'abr0' } });
  assert.deepEqual(await devices(d, 'instances', 'c1'), await devices(d, 'instances', 'c2'));
  await d.lodge(['network', 'attach', 'abr0', 'c1', 'net1', 'eth7']);
  assert.deepEqual((await devices(d, 'instances', 'c1')).net1, { type: 'nic', network: 'abr0', name: 'eth7' });
  await same(d, ['network', 'attach', 'abr0', 'c1', 'net1']);
  await same(d, ['network', 'detach', 'abr0', 'c1']);
  await same(d, ['network', 'detach', 'abr0', 'c1', 'nodev']);
  await same(d, ['network', 'attach', 'nope', 'c1']);
  await same(d, ['network', 'attach', 'abr0', 'nope']);
  await d.lodge(['network', 'detach', 'abr0', 'c1', 'net1']);
  await d.lodge(['network', 'detach', 'abr0', 'c1']);
  assert.deepEqual(await devices(d, 'instances', 'c1'), {});
  await same(d, ['network', 'detach', 'abr0', 'c1']);

  // Profiles get a bridged nic on the network's bridge, as lxc 5.0.2 gives them.
  await d.lodge(['network', 'attach-profile', 'abr0', 'p-lodge', 'eth0', 'eth0']);
  await d.lxc(['network', 'attach-profile', 'abr0', 'p-lxc', 'eth0', 'eth0']);
  assert.deepEqual(await devices(d, 'profiles', 'p-lodge'), { eth0: { type: 'nic', nictype: 'bridged', parent: 'abr0', name: 'eth0' } });
  assert.deepEqual(await devices(d, 'profiles', 'p-lodge'), await devices(d, 'profiles', 'p-lxc'));
  await same(d, ['network', 'attach-profile', 'abr0', 'p-lodge', 'eth0']);
  await same(d, ['network', 'attach-profile', 'abr0', 'nope']);
  await same(d, ['network', 'detach-profile', 'abr0', 'p-lodge', 'other']);
  await same(d, ['network', 'delete', 'abr0']);
  await d.lodge(['network', 'detach-profile', 'abr0', 'p-lodge']);
  assert.deepEqual(await devices(d, 'profiles', 'p-lodge'), {});
  await same(d, ['network', 'detach-profile', 'abr0', 'p-lodge']);

  // In another project (sharing the default project's networks), and through a remote: the instance is looked up
  // in the project and on the remote of the network argument.
  await d.lxc(['project', 'create', 'p1']);
  await d.lxc(['profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=default', '--project', 'p1']);
  await d.lxc(['init', '--empty', 'pc1', '--project', 'p1']);
  await d.lodge(['network', 'attach', 'abr0', 'pc1', '--project', 'p1']);
  assert.deepEqual((await d.client.get<{ devices: Devices }>('/1.0/instances/pc1?project=p1')).devices, { abr0: { type: 'nic', network: 'abr0' } });
  await same(d, ['network', 'attach', 'abr0', 'pc1']);
  await d.lodge(['network', 'detach', 'abr0', 'pc1', '--project', 'p1']);
  assert.deepEqual((await d.client.get<{ devices: Devices }>('/1.0/instances/pc1?project=p1')).devices, {});
  await d.lodge(['remote', 'add', 'other', `unix://${d.socket}`]);
  await d.lodge(['network', 'attach', 'other:abr0', 'c1', 'viaremote']);
  assert.deepEqual((await devices(d, 'instances', 'c1')).viaremote, { type: 'nic', network: 'abr0' });
  await d.lodge(['network', 'detach', 'other:abr0', 'c1']);
  assert.deepEqual(await devices(d, 'instances', 'c1'), {});
  await d.lxc(['delete', 'pc1', '--project', 'p1']);

  // init -n: eth0 on the network, and a missing network refused before anything is created.
  await d.lodge(['init', 'busybox', 'c3', '-n', 'abr0']);
  await d.lxc(['init', 'busybox', 'c4', '-n', 'abr0']);
  assert.deepEqual((await devices(d, 'instances', 'c3')).eth0, { name: 'eth0', type: 'nic', network: 'abr0' });
  assert.deepEqual(await devices(d, 'instances', 'c3'), await devices(d, 'instances', 'c4'));
  // An unmanaged host bridge: a bridged nic on it, from init -n and from attach alike.
  await d.lodge(['init', 'busybox', 'c6', '-n', 'hbr0']);
  assert.deepEqual(await devices(d, 'instances', 'c6'), { eth0: { name: 'eth0', type: 'nic', nictype: 'bridged', parent: 'hbr0' } });
  await d.lodge(['network', 'attach', 'hbr0', 'c6', 'eth1']);
  assert.deepEqual((await devices(d, 'instances', 'c6')).eth1, { type: 'nic', nictype: 'bridged', parent: 'hbr0' });
  await same(d, ['network', 'detach', 'hbr0', 'c6']);
  const missing = await same(d, ['init', 'busybox', 'c5', '--network', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error: Failed loading network "nope": Network not found\n');
  await same(d, ['launch', 'busybox', 'c5', '-n', 'nope']);
  assert.deepEqual((await d.client.get<string[]>('/1.0/instances')).sort(), ['/1.0/instances/c1', '/1.0/instances/c2', '/1.0/instances/c3', '/1.0/instances/c4', '/1.0/instances/c6']);
});

test('bad input gives lxc\'s errors and exit code 1, and leaves nothing behind', async (t) => {
  const { ns, d } = await startNetDaemon(t);
  await d.lodge(['network', 'create', 'ebr0', 'ipv4.address=10.95.0.1/24', 'ipv6.address=none']);
  const before = await network(d, 'ebr0');
  // The fourth field marks messages whose wording is the YAML parser's, which is not go-yaml's.
  const cases: [string[], RegExp, string?, 'parser'?][] = [
    [['network', 'create', 'bad0', 'ipv4.address=10.0.0.1/33'], /^Error: Invalid value for network config key "ipv4\.address": .*10\.0\.0\.1\/33.*\n$/],
    [['network', 'create', 'bad0', 'ipv4.address=not-a-cidr'], /^Error: Invalid value for network config key "ipv4\.address"/],
    [['network', 'create', 'bad0', 'foo.bar=1'], /^Error: Unknown network configuration key: foo\.bar\n$/],
    [['network', 'create', 'bad0', 'ipv4.address'], /^Error: Bad key\/value pair: ipv4\.address\n$/],
    [['network', 'create', 'bad0', '--type', 'nosuchtype'], /^Error: .*nosuchtype/],
    [['network', 'create', 'ebr0'], /^Error: .*already exists/i],
    [['network', 'set', 'ebr0', 'ipv4.address=10.95.0.1/99'], /^Error: Invalid value for network config key "ipv4\.address"/],
    [['network', 'set', 'ebr0', 'no.such.key=1'], /^Error: Unknown network configuration key: no\.such\.key\n$/],
    [['network', 'set', 'ebr0', 'user.a=1', 'oops'], /^Error: Invalid key=value configuration: oops\n$/],
    [['network', 'set', 'lo', 'user.a=1'], /^Error: Only managed networks can be modified\n$/],
    [['network', 'edit', 'ebr0'], /^Error: Unknown network configuration key: bogus\.key\n$/, 'config:\n  bogus.key: 1\n'],
    [['network', 'edit', 'ebr0'], /^Error: yaml: /, 'config: [oops\n', 'parser'],
    [['network', 'show', 'nope'], /^Error: Network not found\n$/],
    [['network', 'info', 'nope'], /^Error: Network not found\n$/],
    [['network', 'list-leases', 'nope'], /^Error: Network not found\n$/],
    [['network', 'rename', 'nope', 'x'], /^Error: Network not found\n$/],
    [['network', 'rename', 'ebr0', 'lo'], /^Error: /],
    [['network', 'delete', 'nope'], /^Error: Network not found\n$/],
    [['network', 'list', 'filter'], /^Error: Filtering isn't supported yet\n$/],
    [['network', 'list', '-f', 'bogus'], /^Error: Invalid format "bogus"\n$/],
    [['network', 'info', 'ebr0', '--target', 'm1'], /^Error: To use --target, the destination remote must be a cluster\n$/],
    [['network', 'nosuchcommand'], /^Error: unknown command "nosuchcommand" for "(lodge|lxc) network"\n$/],
  ];
  for (const [args, re, input, parser] of cases) {
    const ours = await d.lodge(args, { allowFail: true, input: input ?? '' });
    const theirs = await d.lxc(args, { allowFail: true, input: input ?? '' });
    const what = args.join(' ');
    assert.equal(ours.code, 1, what);
    assert.match(ours.stderr, re, what);
    assert.equal(ours.stdout, '', what);
    // Same words as lxc, apart from the program's own name in cobra's unknown-command message.
    if (!parser) assert.equal(ours.stderr, theirs.stderr.replace('"lxc network"', '"lodge network"'), what);
    else assert.match(theirs.stderr, re, what);
    assert.equal(theirs.code, 1, what);
  }
  const after = await network(d, 'ebr0');
  assert.deepEqual(after, before);
  assert.deepEqual((await networks(d)).filter((n) => n.managed).map((n) => n.name), ['ebr0']);
  assert.equal(await hostLink(ns, 'bad0'), false);
  assert.deepEqual(await ns.find('dnsmasq', '--interface=bad0'), []);
  assert.notEqual((await ns.exec('nft', ['list', 'table', 'inet', 'lodge-bad0'], { allowFail: true })).code, 0);
  // Wrong argument counts print the command's help and fail, as lxc does when arguments are given.
  const usage = await d.lodge(['network', 'show', 'a', 'b'], { allowFail: true });
  assert.equal(usage.code, 1);
  assert.match(usage.stdout, /Usage: lodge network show/);
  assert.equal(usage.stderr, 'Error: Invalid number of arguments\n');
});
