// Unit tests for core.https_address parsing and the addresses reported for it.
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { listenAddresses, parseListenAddress } from './tls-address.js';

test('listen addresses parse with LXD defaults', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:8444'), { host: '127.0.0.1', port: 8444 });
  assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseListenAddress(':8443'), { host: '', port: 8443 });
  assert.deepEqual(parseListenAddress('10.0.0.1'), { host: '10.0.0.1', port: 8443 });
  assert.deepEqual(parseListenAddress('::'), { host: '::', port: 8443 });
  assert.deepEqual(parseListenAddress('[fd00::1]'), { host: 'fd00::1', port: 8443 });
  assert.deepEqual(parseListenAddress('example.com'), { host: 'example.com', port: 8443 });
  assert.deepEqual(parseListenAddress('example.com:1234'), { host: 'example.com', port: 1234 });
  assert.throws(() => parseListenAddress('1.2.3.4:99999'), /Invalid port/);
  assert.throws(() => parseListenAddress('a:b:c'), /Invalid listen address/);
});

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const ifaces = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [info('192.0.2.2', 'IPv4'), info('fd00::2', 'IPv6'), info('fe80::1', 'IPv6'), info('169.254.1.1', 'IPv4')],
};

test('wildcards expand to global unicast host addresses, as LXD lists them', () => {
  assert.deepEqual(listenAddresses('', ifaces), []);
  assert.deepEqual(listenAddresses('127.0.0.1:8443', ifaces), ['127.0.0.1:8443']);
  assert.deepEqual(listenAddresses('[::1]:8443', ifaces), ['[::1]:8443']);
  assert.deepEqual(listenAddresses(':8443', ifaces), ['192.0.2.2:8443', '[fd00::2]:8443']);
  assert.deepEqual(listenAddresses('[::]:9443', ifaces), ['192.0.2.2:9443', '[fd00::2]:9443']);
  assert.deepEqual(listenAddresses('0.0.0.0', ifaces), ['192.0.2.2:8443']);
});
