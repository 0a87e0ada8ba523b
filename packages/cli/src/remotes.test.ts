// Remote configuration and connection rules: `remote:name/snap` parsing, config.yml as lxc reads and writes it,
// which remotes can be reached how, address normalisation and token decoding for `remote add`.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCertificateAddToken, encodeCertificateAddToken } from '@lodge/api';
import { generateCertificate } from '@lodge/client';
import { configYaml, defaultConfig, loadConfig, parseConfig } from './config.js';
import { connect, connectImageServer, parseRemote, remoteProject, socketPath, splitSnapshot } from './remotes.js';
import { normalizeAddress, remoteRows } from './commands/remote.js';

test('names without a known remote prefix belong to the default remote', () => {
  const conf = defaultConfig();
  assert.deepEqual(parseRemote(conf, 'c1'), { remote: 'local', name: 'c1' });
  assert.deepEqual(parseRemote(conf, 'local:c1'), { remote: 'local', name: 'c1' });
  assert.deepEqual(parseRemote(conf, 'local:'), { remote: 'local', name: '' });
  assert.deepEqual(parseRemote(conf, 'images:alpine/3.19'), { remote: 'images', name: 'alpine/3.19' });
  assert.deepEqual(parseRemote(conf, 'c1/snap:1'), { remote: 'local', name: 'c1/snap:1' });
  assert.deepEqual(parseRemote(conf, 'local:c1/snap0'), { remote: 'local', name: 'c1/snap0' });
  assert.throws(() => parseRemote(conf, 'nowhere:c1'), /The remote "nowhere" doesn't exist/);
  assert.throws(() => parseRemote(conf, 'nowhere:c1/s'), /The remote "nowhere" doesn't exist/);
  assert.deepEqual(splitSnapshot('c1/snap0'), { parent: 'c1', snapshot: 'snap0' });
  assert.deepEqual(splitSnapshot('c1'), { parent: 'c1' });
  assert.deepEqual(splitSnapshot('c1/a/b'), { parent: 'c1', snapshot: 'a/b' });
});

test('the local socket comes from the address, LODGE_SOCKET or LODGE_DIR', () => {
  assert.equal(socketPath('unix://', {}), '/var/lib/lodge/unix.socket');
  assert.equal(socketPath('unix://', { LODGE_DIR: '/tmp/x' }), '/tmp/x/unix.socket');
  assert.equal(socketPath('unix://', { LODGE_DIR: '/tmp/x', LODGE_SOCKET: '/s' }), '/s');
  assert.equal(socketPath('unix:///run/l.sock', { LODGE_DIR: '/tmp/x' }), '/run/l.sock');
  assert.equal(socketPath('unix:/run/l.sock', {}), '/run/l.sock');
});

test('image servers are not instance servers; HTTPS remotes need the client certificate unless public', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-conf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const conf = parseConfig('remotes:\n  far:\n    addr: https://10.0.0.1:8443\n    public: false\n  pub:\n    addr: https://10.0.0.2:8443\n    public: true\n');
  const opts = { env: { LODGE_DIR: '/tmp/x' }, confDir: dir };
  await assert.rejects(connect(conf, 'ubuntu', opts), /The remote isn't a private LXD server/);
  await assert.rejects(connect(conf, 'pub', opts), /The remote isn't a private LXD server/);
  await assert.rejects(connect(conf, 'far', opts), /Missing TLS client certificate and key/);
  await assert.rejects(connect(conf, 'nowhere', opts), /The remote "nowhere" doesn't exist/);
  assert.equal((await connect(conf, 'local', opts)).project, 'default');
  // A public lxd remote is an image server reached without a client certificate.
  const pub = await connectImageServer(conf, 'pub', opts);
  assert.equal(pub.transport.opts.url, 'https://10.0.0.2:8443');
  assert.equal(pub.transport.opts.tls?.cert, undefined);

  const pair = await generateCertificate({ kind: 'client', commonName: 'unit@test' });
  await writeFile(join(dir, 'client.crt'), pair.cert);
  await writeFile(join(dir, 'client.key'), pair.key);
  await mkdir(join(dir, 'servercerts'));
  await writeFile(join(dir, 'servercerts', 'far.crt'), pair.cert);
  const far = await connect(conf, 'far', { ...opts, project: 'p2' });
  assert.equal(far.project, 'p2');
  assert.equal(far.transport.opts.tls?.cert, pair.cert);
  assert.equal(far.transport.opts.tls?.ca, pair.cert, 'the saved server certificate is pinned');
});

test('the current project comes from the remote unless --project overrides it', () => {
  const conf = parseConfig('default-remote: local\nremotes:\n  local:\n    addr: unix://\n    project: p1\n');
  assert.equal(remoteProject(conf, 'local'), 'p1');
  assert.equal(remoteProject(conf, 'local', 'p2'), 'p2');
});

test('config.yml: the file lists the remotes (images can be removed), static ones are always there and never saved', async (t) => {
  const conf = parseConfig('default-remote: r1\nremotes:\n  r1:\n    addr: https://127.0.0.1:8443\n    protocol: lxd\n    public: false\n  local:\n    addr: unix:///elsewhere\n    public: false\n    project: p1\n');
  assert.deepEqual(Object.keys(conf.remotes).sort(), ['local', 'r1', 'ubuntu', 'ubuntu-daily']);
  assert.equal(conf.remotes.r1?.auth_type, 'tls', 'private remotes default to tls');
  assert.deepEqual(conf.remotes.local, { addr: 'unix://', public: false, static: true, project: 'p1' });
  assert.equal(conf['default-remote'], 'r1');
  assert.equal(parseConfig('remotes: {}\n', { LODGE_REMOTE: 'other' })['default-remote'], 'other');
  assert.equal(parseConfig('')['default-remote'], 'local');
  assert.throws(() => parseConfig('remotes: [\n'), /Unable to decode the configuration/);
  // Written as lxc writes it: sorted keys, yaml.v2 style, static remotes but local left out.
  assert.equal(
    configYaml(defaultConfig()),
    'default-remote: local\nremotes:\n  images:\n    addr: https://images.linuxcontainers.org\n    protocol: simplestreams\n    public: true\n  local:\n    addr: unix://\n    public: false\naliases: {}\n',
  );
  assert.equal(
    configYaml(conf),
    'default-remote: r1\nremotes:\n  local:\n    addr: unix://\n    project: p1\n    public: false\n  r1:\n    addr: https://127.0.0.1:8443\n    auth_type: tls\n    protocol: lxd\n    public: false\naliases: {}\n',
  );
  // A missing file is the default configuration.
  const dir = await mkdtemp(join(tmpdir(), 'lodge-conf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await loadConfig(dir), defaultConfig());
  assert.deepEqual(Object.keys((await loadConfig(dir)).remotes).sort(), ['images', 'local', 'ubuntu', 'ubuntu-daily']);
});

test('remote list rows: lxc defaults for protocol and auth type, current remote marked, sorted', () => {
  const conf = parseConfig('default-remote: r1\nremotes:\n  r1:\n    addr: https://127.0.0.1:8443\n    auth_type: tls\n    protocol: lxd\n    public: false\n  images:\n    addr: https://images.linuxcontainers.org\n    protocol: simplestreams\n    public: true\n');
  assert.deepEqual(remoteRows(conf), [
    ['images', 'https://images.linuxcontainers.org', 'simplestreams', 'none', 'YES', 'NO', 'NO'],
    ['local', 'unix://', 'lxd', 'file access', 'NO', 'YES', 'NO'],
    ['r1 (current)', 'https://127.0.0.1:8443', 'lxd', 'tls', 'NO', 'NO', 'NO'],
    ['ubuntu', 'https://cloud-images.ubuntu.com/releases', 'simplestreams', 'none', 'YES', 'YES', 'NO'],
    ['ubuntu-daily', 'https://cloud-images.ubuntu.com/daily', 'simplestreams', 'none', 'YES', 'YES', 'NO'],
  ]);
});

test('remote add addresses are normalised as lxc does', () => {
  const none = (): boolean => false;
  const n = (a: string): string => normalizeAddress(a, none).addr;
  assert.equal(n('10.0.0.1'), 'https://10.0.0.1:8443');
  assert.equal(n('127.0.0.1:18443'), 'https://127.0.0.1:18443');
  assert.equal(n('myhost:9443'), 'https://myhost:9443');
  assert.equal(n('myhost'), 'https://myhost:8443');
  assert.equal(n('https://myhost'), 'https://myhost:8443');
  assert.equal(n('https://myhost:1/'), 'https://myhost:1');
  assert.equal(n('::1'), 'https://[::1]:8443');
  assert.equal(n('[::1]:9443'), 'https://[::1]:9443');
  assert.equal(n('https://[fd00::1]:9443'), 'https://[fd00::1]:9443');
  assert.equal(n('/var/lib/lodge/unix.socket'), 'unix:///var/lib/lodge/unix.socket');
  assert.equal(n('unix:///run/x.sock'), 'unix:///run/x.sock');
  assert.equal(normalizeAddress('some.sock', () => true).addr, 'unix://some.sock');
  assert.throws(() => n('http://myhost'), /Invalid URL scheme "http" in "http:\/\/myhost"/);
  assert.equal(normalizeAddress('https://h', none).scheme, 'https');
});

test('certificate add tokens: decoded when complete, anything else is an address', () => {
  const token = encodeCertificateAddToken({ client_name: 'alice', fingerprint: 'ab'.repeat(32), addresses: ['127.0.0.1:8443', '[::1]:8443'], secret: 's3cret' });
  assert.deepEqual(decodeCertificateAddToken(token), {
    client_name: 'alice',
    fingerprint: 'ab'.repeat(32),
    addresses: ['127.0.0.1:8443', '[::1]:8443'],
    secret: 's3cret',
    expires_at: '0001-01-01T00:00:00Z',
  });
  assert.equal(decodeCertificateAddToken('10.0.0.1'), undefined);
  assert.equal(decodeCertificateAddToken('https://host:8443'), undefined);
  assert.equal(decodeCertificateAddToken(Buffer.from('{"client_name":"x"}').toString('base64')), undefined);
  assert.equal(decodeCertificateAddToken(Buffer.from(JSON.stringify({ client_name: 'a', fingerprint: 'f', addresses: [], secret: 's' })).toString('base64')), undefined);
});
