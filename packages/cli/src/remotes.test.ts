// `remote:name` parsing and the local-only connection rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, parseConfig } from './config.js';
import { connect, parseRemote, remoteProject, socketPath } from './remotes.js';

test('names without a known remote prefix belong to the default remote', () => {
  const conf = defaultConfig();
  assert.deepEqual(parseRemote(conf, 'c1'), { remote: 'local', name: 'c1' });
  assert.deepEqual(parseRemote(conf, 'local:c1'), { remote: 'local', name: 'c1' });
  assert.deepEqual(parseRemote(conf, 'local:'), { remote: 'local', name: '' });
  assert.deepEqual(parseRemote(conf, 'images:alpine/3.19'), { remote: 'images', name: 'alpine/3.19' });
  assert.deepEqual(parseRemote(conf, 'c1/snap:1'), { remote: 'local', name: 'c1/snap:1' });
  assert.throws(() => parseRemote(conf, 'nowhere:c1'), /The remote "nowhere" doesn't exist/);
});

test('the local socket comes from the address, LODGE_SOCKET or LODGE_DIR', () => {
  assert.equal(socketPath('unix://', {}), '/var/lib/lodge/unix.socket');
  assert.equal(socketPath('unix://', { LODGE_DIR: '/tmp/x' }), '/tmp/x/unix.socket');
  assert.equal(socketPath('unix://', { LODGE_DIR: '/tmp/x', LODGE_SOCKET: '/s' }), '/s');
  assert.equal(socketPath('unix:///run/l.sock', { LODGE_DIR: '/tmp/x' }), '/run/l.sock');
});

test('only unix remotes can be reached; the others say why', () => {
  const conf = parseConfig('remotes:\n  far:\n    addr: https://10.0.0.1:8443\n    public: false\n');
  assert.throws(() => connect(conf, 'images', { env: {} }), /simplestreams/);
  assert.throws(() => connect(conf, 'far', { env: {} }), /HTTPS/);
  assert.equal(connect(conf, 'local', { env: { LODGE_DIR: '/tmp/x' } }).project, 'default');
});

test('the current project comes from the remote unless --project overrides it', () => {
  const conf = parseConfig('default-remote: local\nremotes:\n  local:\n    addr: unix://\n    project: p1\n');
  assert.equal(remoteProject(conf, 'local'), 'p1');
  assert.equal(remoteProject(conf, 'local', 'p2'), 'p2');
  assert.equal(conf.remotes.images?.protocol, 'simplestreams');
});
