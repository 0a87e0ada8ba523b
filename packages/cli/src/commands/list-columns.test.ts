// lodge list's pure parts: columns (IPv4/IPv6 from state.network, types, usage), column specs and lxc's filters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceFull, InstanceStateNetwork } from '@lodge/api';
import { addresses, dotPrefixMatch, parseColumns, shouldShow, splitFilters } from './list-columns.js';

function net(type: string, addrs: [string, string, string][]): InstanceStateNetwork {
  return {
    type,
    state: 'up',
    hwaddr: '',
    host_name: '',
    mtu: 1500,
    counters: { bytes_received: 0, bytes_sent: 0, packets_received: 0, packets_sent: 0, errors_received: 0, errors_sent: 0, packets_dropped_inbound: 0, packets_dropped_outbound: 0 },
    addresses: addrs.map(([family, address, scope]) => ({ family, address, scope, netmask: family === 'inet' ? '24' : '64' })),
  };
}

function inst(over: Partial<InstanceFull> = {}): InstanceFull {
  return {
    name: 'c1',
    status: 'Running',
    status_code: 103,
    type: 'container',
    architecture: 'x86_64',
    config: { 'volatile.base_image': 'abcdef0123456789', 'user.comment': 'hello' },
    devices: {},
    expanded_config: { 'volatile.base_image': 'abcdef0123456789', 'user.comment': 'hello', 'security.privileged': 'true' },
    expanded_devices: { root: { type: 'disk', path: '/', pool: 'default' } },
    ephemeral: false,
    profiles: ['default', 'web'],
    stateful: false,
    description: '',
    created_at: '2026-11-21T17:51:30.163Z',
    last_used_at: '1970-01-01T00:00:00Z',
    location: 'none',
    project: 'default',
    backups: null,
    snapshots: null,
    state: {
      status: 'Running',
      status_code: 103,
      pid: 42,
      processes: 3,
      cpu: { usage: 2_500_000_000 },
      memory: { usage: 1048576, usage_peak: 0, swap_usage: 0, swap_usage_peak: 0 },
      disk: { root: { usage: 2101248 } },
      network: {
        lo: net('loopback', [['inet', '127.0.0.1', 'local']]),
        eth0: net('broadcast', [
          ['inet', '10.0.3.5', 'global'],
          ['inet6', 'fd42::5', 'global'],
          ['inet6', 'fe80::1', 'link'],
        ]),
        eth1: net('broadcast', [['inet', '10.0.4.9', 'global']]),
      },
    },
    ...over,
  };
}

const row = (spec: string, i: InstanceFull): string[] => parseColumns({ columns: spec, clustered: false }).columns.map((c) => c.data(i));

test('IPv4 and IPv6 columns: no loopback, no link/local scopes, "addr (iface)" sorted in reverse', () => {
  assert.equal(addresses(inst(), 'inet'), '10.0.4.9 (eth1)\n10.0.3.5 (eth0)');
  assert.equal(addresses(inst(), 'inet6'), 'fd42::5 (eth0)');
  assert.equal(addresses(inst({ status: 'Stopped', status_code: 102 }), 'inet'), '');
  assert.equal(addresses(inst({ state: null }), 'inet'), '');
});

test('shorthand columns render as lxc renders them', () => {
  assert.deepEqual(row('nstSpNumDbPfFlc', inst()), [
    'c1',
    'RUNNING',
    'CONTAINER',
    '0',
    '42',
    '3',
    '2s',
    '1.00MiB',
    '2.00MiB',
    'default',
    'default\nweb',
    'abcdef012345',
    'abcdef0123456789',
    '',
    '2026/11/21 17:51 UTC',
  ]);
  const stopped = inst({ status: 'Stopped', status_code: 102, ephemeral: true, snapshots: [{} as never, {} as never] });
  assert.deepEqual(row('stSpmu', stopped), ['STOPPED', 'CONTAINER (EPHEMERAL)', '2', '', '', '']);
  const limited = inst({ expanded_config: { 'limits.memory': '4MiB' } });
  assert.deepEqual(row('M', limited), ['25.0%']);
});

test('column specs: commas optional, custom config and device columns, lxc errors', () => {
  const { columns, needsData } = parseColumns({ columns: 'ns,user.comment:NOTE,devices:root.pool,security.privileged::3', clustered: false });
  assert.deepEqual(
    columns.map((c) => c.name),
    // An empty name is allowed with a max width, and lxc then prints an empty header.
    ['NAME', 'STATE', 'NOTE', 'root.pool', ''],
  );
  assert.deepEqual(
    columns.map((c) => c.data(inst())),
    ['c1', 'RUNNING', 'hello', 'default', 'tru'],
  );
  assert.equal(needsData, false);
  assert.equal(parseColumns({ columns: 'n4', clustered: false }).needsData, true);
  assert.deepEqual(
    parseColumns({ clustered: false }).columns.map((c) => c.name),
    ['NAME', 'STATE', 'IPV4', 'IPV6', 'TYPE', 'SNAPSHOTS'],
  );
  assert.deepEqual(
    parseColumns({ fast: true, clustered: false }).columns.map((c) => c.name),
    ['NAME', 'STATE', 'ARCHITECTURE', 'CREATED AT', 'PROFILES', 'TYPE'],
  );
  assert.equal(parseColumns({ clustered: true }).columns.at(-1)?.name, 'LOCATION');
  assert.throws(() => parseColumns({ columns: 'nL', clustered: false }), /^Error: Can't specify column L when not clustered$/);
  assert.throws(() => parseColumns({ columns: 'n', fast: true, clustered: false }), /Can't specify --fast with --columns/);
  assert.throws(() => parseColumns({ columns: 'nz', clustered: false }), /Unknown column shorthand char 'z' in 'nz'/);
  assert.throws(() => parseColumns({ columns: 'n,,s', clustered: false }), /Empty column entry/);
  assert.throws(() => parseColumns({ columns: 'user.a:b:c:d', clustered: false }), /too many fields/);
  assert.throws(() => parseColumns({ columns: 'user.a:x:y', clustered: false }), /Invalid max width \(must be an integer\) 'y'/);
});

test('filters: name prefixes and regexps, config keys with abbreviated namespaces, shorthands', () => {
  const i = inst({ name: 'web-01' });
  assert.ok(shouldShow(['web'], i));
  assert.ok(shouldShow(['.*-01$'], i));
  assert.ok(!shouldShow(['db'], i));
  assert.ok(shouldShow(['user.comment=hello'], i));
  assert.ok(shouldShow(['u.comment=hel.*'], i));
  assert.ok(shouldShow(['s.privileged=true'], i));
  assert.ok(!shouldShow(['user.comment=bye'], i));
  assert.ok(shouldShow(['user.missing='], i));
  assert.ok(shouldShow(['status=running'], i));
  assert.ok(shouldShow(['status=stopped,running'], i));
  assert.ok(!shouldShow(['status=stopped'], i));
  assert.ok(shouldShow(['type=container', 'web'], i));
  assert.ok(shouldShow(['ipv4=10.0.3.0/24'], i));
  assert.ok(shouldShow(['ipv6=fd42::5'], i));
  assert.ok(!shouldShow(['ipv4=192.168.0.0/16'], i));
  assert.ok(dotPrefixMatch('u.c', 'user.comment'));
  assert.ok(!dotPrefixMatch('u', 'user.comment'));
});

test('plain field=value filters go to the server, the rest stay on the client', () => {
  assert.deepEqual(splitFilters(['status=running', 'web', 'user.a=1', 'status=running,stopped', 'ipv4=10.0.0.1', 'type=container']), {
    server: ['status=running', 'type=container'],
    client: ['web', 'user.a=1', 'status=running,stopped', 'ipv4=10.0.0.1'],
  });
});
