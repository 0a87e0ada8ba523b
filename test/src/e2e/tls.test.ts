// HTTPS and the trust store end to end: the real lxc client adding remotes by password and token,
// untrusted and restricted callers, live listener moves and immediate revocation. Loopback only.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Event, Image, Operation, ServerUntrusted } from '@lodge/api';
import { LodgeClient, fetchServerCertificate, generateCertificate, readBody, type CertificatePair } from '@lodge/client';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { LxcConf, freePort, listen } from '../helpers/remotes.js';
import { run } from '../helpers/run.js';

interface RawResult {
  status: number;
  body: string;
}

/** One HTTPS request with an optional client certificate, verifying nothing (like curl -k). */
function rawHttps(url: string, path: string, opts: { method?: string; pair?: CertificatePair; body?: unknown; maxVersion?: 'TLSv1.2' } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = httpsRequest(
      new URL(path, url),
      {
        method: opts.method ?? 'GET',
        rejectUnauthorized: false,
        cert: opts.pair?.cert,
        key: opts.pair?.key,
        agent: false,
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        headers: payload ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => void readBody(res).then((b) => resolve({ status: res.statusCode ?? 0, body: b.toString() }), reject),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function trustToken(d: TestDaemon, args: string[]): Promise<string> {
  return (await d.lxc(['config', 'trust', 'add', '-q', ...args])).stdout.trim();
}

async function certificateCount(d: TestDaemon): Promise<number> {
  return (await d.client.certificates.list()).length;
}

async function serverPem(d: TestDaemon): Promise<string> {
  return (await d.client.server.get()).server.environment.certificate;
}

/**
 * Runs a command through exec websockets with the client library; returns stdout and the exit code.
 * The websockets may be opened by another client (an untrusted one holding the secrets).
 */
async function libExec(c: LodgeClient, command: string[], wsClient = c): Promise<{ stdout: string; code: number; op: Operation }> {
  const events = await c.events();
  const res = await c.query<Operation>('POST', '/1.0/instances/c1/exec', { command, 'wait-for-websocket': true, interactive: false });
  const op = await c.track(res.metadata, events);
  const fds = (res.metadata.metadata as { fds: Record<string, string> }).fds;
  const ws = await Promise.all(['0', '1', '2', 'control'].map((fd) => wsClient.transport.websocket(`/1.0/operations/${res.metadata.id}/websocket?secret=${fds[fd]}`)));
  let stdout = '';
  ws[1]!.on('message', (m) => (stdout += m.toString()));
  ws[0]!.close();
  const final = await op.wait();
  for (const w of ws) w.terminate();
  return { stdout, code: (final.metadata as { return: number }).return, op: final };
}

test('remote add with the trust password; list, info, exec and monitor over HTTPS; a wrong password adds nothing', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const url = await listen(d);
  await d.lxc(['config', 'set', 'core.trust_password', 'sekrit']);

  const wrong = await LxcConf.create(t);
  const refused = await wrong.run(['remote', 'add', 'r1', url, '--accept-certificate', '--password=nope'], { allowFail: true });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not authorized/);
  assert.equal(await certificateCount(d), 0);

  const lxc = await LxcConf.create(t);
  const added = await lxc.run(['remote', 'add', 'r1', url, '--accept-certificate', '--password=sekrit']);
  assert.match(added.stdout, /Client certificate now trusted by server: r1/);
  assert.match((await d.lxc(['config', 'trust', 'list', '-f', 'csv'])).stdout, /^client,/);

  assert.match((await lxc.run(['list', 'r1:', '-c', 'ns', '-f', 'csv'])).stdout, /^c1,RUNNING$/m);
  const info = (await lxc.run(['info', 'r1:'])).stdout;
  assert.match(info, /auth: trusted/);
  assert.ok(info.includes(`- ${url.replace('https://', '')}`), info);
  const ex = await lxc.run(['exec', 'r1:c1', '--', 'sh', '-c', 'cat; echo out; echo err >&2; exit 3'], { input: 'in\n', allowFail: true });
  assert.deepEqual([ex.code, ex.stdout, ex.stderr], [3, 'in\nout\n', 'err\n']);
  assert.ok(await lxc.monitorSees('r1', 'instance-updated', () => d.lxc(['config', 'set', 'c1', 'user.tick', String(Date.now())]).then(() => undefined)));

  // The client library: trusted through a token, pinned server certificate, exec over websockets.
  const pair = await generateCertificate({ kind: 'client', commonName: 'lib@test' });
  const token = (await d.client.certificates.createToken({ name: 'lib' })).value;
  const lib = LodgeClient.https(url, { ...pair, ca: await serverPem(d) });
  t.after(() => lib.close());
  assert.equal((await lib.server.get()).server.auth, 'untrusted');
  await lib.certificates.trustMe(token);
  assert.equal((await lib.server.get()).server.auth, 'trusted');
  const r = await libExec(lib, ['sh', '-c', 'echo hello; exit 4']);
  assert.deepEqual([r.stdout, r.code], ['hello\n', 4]);

  // An untrusted caller holding the secrets may attach to the operation's websockets and wait on it.
  const anon = LodgeClient.https(url, { ca: await serverPem(d) });
  const viaAnon = await libExec(lib, ['sh', '-c', 'echo anon'], anon);
  assert.equal(viaAnon.stdout, 'anon\n');
  const pending = await lib.query<Operation>('POST', '/1.0/instances/c1/exec', { command: ['true'], 'wait-for-websocket': true, interactive: false });
  const secret = (pending.metadata.metadata as { fds: Record<string, string> }).fds['0'];
  assert.equal((await rawHttps(url, `/1.0/operations/${pending.metadata.id}/wait?timeout=0`)).status, 403);
  assert.equal((await rawHttps(url, `/1.0/operations/${pending.metadata.id}/wait?timeout=0&secret=${secret}`)).status, 200);
  assert.equal((await rawHttps(url, `/1.0/operations/${pending.metadata.id}`)).status, 403);
});

test('tokens: lxc config trust add, remote add with the token once, list and revoke tokens, expiry', async (t) => {
  const d = await startDaemon(t);
  const none = await d.lxc(['config', 'trust', 'add', '--name', 'early', '-q'], { allowFail: true });
  assert.match(none.stderr, /isn't listening on network/);
  await listen(d);

  const token = await trustToken(d, ['--name', 'alice']);
  const decoded = JSON.parse(Buffer.from(token, 'base64').toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(decoded), ['client_name', 'fingerprint', 'addresses', 'secret', 'expires_at']);
  assert.equal(decoded.client_name, 'alice');
  assert.equal(decoded.fingerprint, (await d.client.server.get()).server.environment.certificate_fingerprint);
  assert.match((await d.lxc(['config', 'trust', 'list-tokens', '-f', 'csv'])).stdout, /^alice,/m);

  const alice = await LxcConf.create(t);
  await alice.run(['remote', 'add', 'r2', token]);
  assert.equal((await alice.run(['list', 'r2:', '-f', 'csv'])).code, 0);
  const trusted = await d.client.certificates.list();
  assert.deepEqual(trusted.map((c) => [c.name, c.type, c.restricted]), [['alice', 'client', false]]);
  assert.equal((await d.lxc(['config', 'trust', 'list-tokens', '-f', 'csv'])).stdout.trim(), '');

  const again = await LxcConf.create(t);
  const reused = await again.run(['remote', 'add', 'r2', token], { allowFail: true });
  assert.notEqual(reused.code, 0);
  assert.match(reused.stderr, /No matching certificate add operation found/);
  assert.equal(await certificateCount(d), 1);

  // Revoked tokens are gone.
  const bobToken = await trustToken(d, ['--name', 'bob']);
  await d.lxc(['config', 'trust', 'revoke-token', 'bob']);
  assert.notEqual((await again.run(['remote', 'add', 'r3', bobToken], { allowFail: true })).code, 0);

  // Expired tokens are refused (and consumed).
  await d.lxc(['config', 'set', 'core.remote_token_expiry', '1S']);
  const lateToken = await trustToken(d, ['--name', 'late']);
  assert.notEqual((JSON.parse(Buffer.from(lateToken, 'base64').toString()) as { expires_at: string }).expires_at, '0001-01-01T00:00:00Z');
  await new Promise((r) => setTimeout(r, 1500));
  const late = await again.run(['remote', 'add', 'r4', lateToken], { allowFail: true });
  assert.match(late.stderr, /Token has expired/);
  assert.equal(await certificateCount(d), 1);
  const badExpiry = await d.lxc(['config', 'set', 'core.remote_token_expiry', 'soon'], { allowFail: true });
  assert.match(badExpiry.stderr, /core\.remote_token_expiry/);
});

test('pylxd authenticates with the trust password over HTTPS and then works', async (t) => {
  const d = await startDaemon(t);
  const url = await listen(d);
  await d.lxc(['config', 'set', 'core.trust_password', 'sekrit']);
  const dir = await mkdtemp(join(tmpdir(), 'lodge-pylxd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pair = await generateCertificate({ kind: 'client', commonName: 'pylxd@test' });
  await writeFile(join(dir, 'client.crt'), pair.cert);
  await writeFile(join(dir, 'client.key'), pair.key, { mode: 0o600 });
  const script = [
    'import sys, warnings',
    'warnings.filterwarnings("ignore")',
    'import pylxd',
    // The server certificate is pinned (it has an IP SAN for 127.0.0.1).
    `c = pylxd.Client(endpoint=sys.argv[1], cert=(sys.argv[2] + "/client.crt", sys.argv[2] + "/client.key"), verify=sys.argv[3])`,
    'print(c.trusted)',
    'try:',
    '    c.authenticate("wrong")',
    'except Exception as e:',
    '    print("refused")',
    'c.authenticate("sekrit")',
    'print(c.trusted)',
    'print(len(c.containers.all()))',
  ].join('\n');
  // requests lets these variables override the session's verify setting.
  const env = { ...process.env };
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  const r = await run('/usr/bin/python3', ['-c', script, url, dir, join(d.dir, 'server.crt')], { env });
  assert.equal(r.stdout, 'False\nrefused\nTrue\n0\n');
  assert.deepEqual((await d.client.certificates.list()).map((c) => c.name), ['pylxd@test']);
});

test('a restricted certificate works inside its projects only', async (t) => {
  const d = await startDaemon(t);
  const url = await listen(d);
  await d.lxc(['project', 'create', 'p1']);
  await d.lxc(['project', 'create', 'p2']);
  const token = await trustToken(d, ['--name', 'carol', '--restricted', '--projects', 'p1']);
  const carol = await LxcConf.create(t);
  await carol.run(['remote', 'add', 'r3', token]);
  const [cert] = await d.client.certificates.list();
  assert.deepEqual([cert?.name, cert?.restricted, cert?.projects], ['carol', true, ['p1']]);

  // A single allowed project becomes the remote's project, as lxc does.
  assert.equal((await carol.run(['list', 'r3:', '-f', 'csv'])).code, 0);
  assert.equal((await carol.run(['list', 'r3:', '--project', 'p1', '-f', 'csv'])).code, 0);
  const other = await carol.run(['list', 'r3:', '--project', 'default'], { allowFail: true });
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /not authorized/);
  assert.notEqual((await carol.run(['list', 'r3:', '--project', 'p2'], { allowFail: true })).code, 0);
  assert.deepEqual((await carol.run(['project', 'list', 'r3:', '-f', 'csv'])).stdout.trim().split('\n').map((l) => l.split(',')[0]), ['p1 (current)']);
  const setCfg = await carol.run(['config', 'set', 'r3:', 'user.x', 'y'], { allowFail: true });
  assert.notEqual(setCfg.code, 0);
  assert.equal((await carol.run(['config', 'trust', 'remove', `r3:${cert!.fingerprint}`], { allowFail: true })).code === 0, false);

  // Token secrets stay hidden from restricted callers, even inside the default project.
  const pair = await generateCertificate({ kind: 'client', commonName: 'dave@test' });
  await d.client.certificates.add({ certificate: pair.cert, name: 'dave', restricted: true, projects: ['default'] });
  const dave = LodgeClient.https(url, { ...pair, ca: await serverPem(d) });
  t.after(() => dave.close());
  const seen: Event[] = [];
  (await dave.events()).on((e) => seen.push(e));
  const pending = await d.client.certificates.createToken({ name: 'secret-holder' });
  await d.lxc(['profile', 'create', 'marker']);
  for (let i = 0; i < 50 && !seen.some((e) => (e.metadata as { action?: string }).action === 'profile-created'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(seen.some((e) => (e.metadata as { action?: string }).action === 'profile-created'));
  assert.equal(seen.filter((e) => e.type === 'operation').length, 0);
  const ops = await dave.get<Record<string, Operation[]>>('/1.0/operations?recursion=1');
  assert.deepEqual(Object.values(ops ?? {}).flat().filter((o) => o.class === 'token'), []);
  await assert.rejects(dave.get(`/1.0/operations/${pending.operationId}`), /not found/);
  assert.equal((await dave.server.get()).server.config['core.https_address'], undefined);
});

test('untrusted callers: the untrusted view of /1.0, public images, operations by secret, 403 elsewhere', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const url = await listen(d);
  const stranger = await generateCertificate({ kind: 'client', commonName: 'stranger@test' });
  const [image] = await d.client.get<Image[]>('/1.0/images?recursion=1');
  assert.ok(image);

  for (const pair of [undefined, stranger]) {
    const root = await rawHttps(url, '/1.0', { pair });
    assert.equal(root.status, 200);
    const view = (JSON.parse(root.body) as { metadata: ServerUntrusted }).metadata;
    assert.deepEqual(Object.keys(view).sort(), ['api_extensions', 'api_status', 'api_version', 'auth', 'auth_methods', 'public']);
    assert.deepEqual([view.auth, view.public, view.auth_methods], ['untrusted', false, ['tls']]);
    assert.equal((await rawHttps(url, '/', { pair })).status, 200);
    for (const path of ['/1.0/instances', '/1.0/certificates', '/1.0/events', '/1.0/images/aliases', '/1.0/operations', '/1.0/profiles', '/1.0/projects', '/1.0/storage-pools']) {
      const r = await rawHttps(url, path, { pair });
      assert.equal(r.status, 403, path);
      assert.equal((JSON.parse(r.body) as { error: string }).error, 'not authorized');
    }
    assert.equal((await rawHttps(url, '/1.0', { pair, method: 'PATCH', body: { config: { 'user.x': 'y' } } })).status, 403);
    assert.equal((await rawHttps(url, '/1.0/certificates', { pair, method: 'POST', body: { type: 'client' } })).status, 403);
    assert.equal((await rawHttps(url, '/internal/shutdown', { pair, method: 'PUT' })).status, 403);
    // Private images are invisible; public ones (and their aliases) are served.
    assert.deepEqual(JSON.parse((await rawHttps(url, '/1.0/images', { pair })).body).metadata, []);
    assert.equal((await rawHttps(url, `/1.0/images/${image.fingerprint}`, { pair })).status, 404);
    assert.equal((await rawHttps(url, '/1.0/images/aliases/busybox', { pair })).status, 404);
  }
  await d.client.query('PATCH', `/1.0/images/${image.fingerprint}`, { public: true });
  assert.deepEqual(JSON.parse((await rawHttps(url, '/1.0/images')).body).metadata, [`/1.0/images/${image.fingerprint}`]);
  assert.equal(JSON.parse((await rawHttps(url, `/1.0/images/${image.fingerprint}`)).body).metadata.public, true);
  assert.equal(JSON.parse((await rawHttps(url, '/1.0/images/aliases/busybox', { pair: stranger })).body).metadata.target, image.fingerprint);
  const exported = await rawHttps(url, `/1.0/images/${image.fingerprint}/export`);
  assert.equal(exported.status, 200);
  assert.ok(exported.body.length > 1000);

  // Websockets refuse untrusted callers too (the client library reports the error envelope).
  const anon = LodgeClient.https(url, { ca: await serverPem(d) });
  t.after(() => anon.close());
  await assert.rejects(anon.events(), /not authorized/);
  await assert.rejects(anon.get('/1.0/instances'), /not authorized/);

  // TLS 1.2 is refused, as by LXD 5.0.
  await assert.rejects(rawHttps(url, '/1.0', { maxVersion: 'TLSv1.2' }), /version|alert/i);

  // The certificate a client fetches for the fingerprint prompt is the server's.
  const fetched = await fetchServerCertificate(url);
  assert.equal(fetched.fingerprint, (await d.client.server.get()).server.environment.certificate_fingerprint);

  // A pinned certificate that is not the server's fails the connection.
  const impostor = await generateCertificate({ kind: 'server', commonName: 'root@elsewhere', dnsNames: ['elsewhere'] });
  await assert.rejects(LodgeClient.https(url, { ca: impostor.cert }).get('/1.0'));
});

test('the client library over HTTPS: trust added by certificate, operations and events, revoked at once', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  const url = await listen(d);
  const pair = await generateCertificate({ kind: 'client', commonName: 'lib@test' });
  const fp = await d.client.certificates.add({ certificate: pair.cert, name: 'lib' });
  assert.equal((await d.client.certificates.get(fp.slice(0, 10))).certificate.name, 'lib');
  const client = LodgeClient.https(url, { ...pair, ca: await serverPem(d) });
  t.after(() => client.close());
  const { server } = await client.server.get();
  assert.equal(server.auth, 'trusted');
  assert.deepEqual(server.environment.addresses, [url.replace('https://', '')]);

  const seen: Event[] = [];
  (await client.events()).on((e) => seen.push(e));
  const [image] = await client.get<Image[]>('/1.0/images?recursion=1');
  const op = await client.operation('DELETE', `/1.0/images/${image!.fingerprint}`);
  assert.equal((await op.wait()).status, 'Success');
  await d.lxc(['config', 'trust', 'edit', fp], { input: `name: renamed\ntype: client\nrestricted: false\nprojects: []\ncertificate: ""\n` });
  assert.equal((await client.certificates.get(fp)).certificate.name, 'renamed');
  for (let i = 0; i < 20 && !seen.some((e) => (e.metadata as { action?: string }).action === 'certificate-updated'); i++) await new Promise((r) => setTimeout(r, 100));
  const lifecycle = seen.filter((e) => e.type === 'lifecycle').map((e) => (e.metadata as { action: string; requestor?: { protocol: string; username: string } }));
  assert.ok(lifecycle.some((e) => e.action === 'image-deleted' && e.requestor?.protocol === 'tls' && e.requestor.username === fp), JSON.stringify(lifecycle));
  assert.ok(lifecycle.some((e) => e.action === 'certificate-updated'));

  // Removing the certificate revokes access at once, open event streams included.
  const events = await client.events();
  const closed = new Promise<void>((r) => events.onClose(() => r()));
  await d.lxc(['config', 'trust', 'remove', fp]);
  await closed;
  await assert.rejects(client.get('/1.0/instances'), /not authorized/);
  assert.equal((await client.server.get()).server.auth, 'untrusted');
});

test('core.https_address changes live: the listener moves, a failing bind is refused and rolled back, unset closes it', async (t) => {
  const d = await startDaemon(t);
  const url1 = await listen(d);
  assert.equal((await rawHttps(url1, '/')).status, 200);
  const port2 = await freePort();
  await d.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${port2}`]);
  await assert.rejects(rawHttps(url1, '/'), /ECONNREFUSED/);
  assert.equal((await rawHttps(`https://127.0.0.1:${port2}`, '/')).status, 200);

  // A port someone else holds: 400 naming the address, and the old listener stays.
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));
  const busy = `127.0.0.1:${(blocker.address() as { port: number }).port}`;
  const failed = await d.lxc(['config', 'set', 'core.https_address', busy], { allowFail: true });
  assert.notEqual(failed.code, 0);
  assert.ok(failed.stderr.includes(busy), failed.stderr);
  assert.equal((await d.lxc(['config', 'get', 'core.https_address'])).stdout.trim(), `127.0.0.1:${port2}`);
  assert.equal((await rawHttps(`https://127.0.0.1:${port2}`, '/')).status, 200);

  // Moved by a request over the listener itself: the reply still arrives, then the old socket closes.
  const pair = await generateCertificate({ kind: 'client', commonName: 'mover@test' });
  await d.client.certificates.add({ certificate: pair.cert });
  const mover = LodgeClient.https(`https://127.0.0.1:${port2}`, { ...pair, ca: await serverPem(d) });
  t.after(() => mover.close());
  const port3 = await freePort();
  await mover.query('PATCH', '/1.0', { config: { 'core.https_address': `127.0.0.1:${port3}` } });
  await assert.rejects(rawHttps(`https://127.0.0.1:${port2}`, '/'), /ECONNREFUSED/);
  const moved = LodgeClient.https(`https://127.0.0.1:${port3}`, { ...pair, ca: await serverPem(d) });
  assert.equal((await moved.server.get()).server.auth, 'trusted');
  await moved.query('PATCH', '/1.0', { config: { 'core.https_address': `127.0.0.1:${port2}` } });

  await d.lxc(['config', 'unset', 'core.https_address']);
  await assert.rejects(rawHttps(`https://127.0.0.1:${port2}`, '/'), /ECONNREFUSED/);
  assert.deepEqual((await d.client.server.get()).server.environment.addresses, []);

  // The listener comes back with the daemon.
  await d.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${port2}`]);
  await d.restart();
  assert.equal((await rawHttps(`https://127.0.0.1:${port2}`, '/')).status, 200);
});
