// Unit tests for the TLS helpers: certificate shape, the client certificate on disk, fetching and pinning.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { certificateFingerprint, ensureClientCertificate, fetchServerCertificate, generateCertificate, hostPort, tlsConnectOptions } from './tls.js';
import { Transport, readBody } from './transport.js';

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';

test('certificates have LXD shape: EC P-384, O=linuxcontainers.org, EKU by kind, SANs for servers, ten years', async () => {
  const server = await generateCertificate({ kind: 'server', commonName: 'root@h', dnsNames: ['h'], ipAddresses: ['127.0.0.1', '::1'] });
  const s = new X509Certificate(server.cert);
  assert.equal(s.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  assert.equal(s.subject, 'O=linuxcontainers.org\nCN=root@h');
  assert.equal(s.issuer, s.subject);
  assert.equal(s.ca, false);
  assert.deepEqual(s.keyUsage, [serverAuth]);
  assert.equal(s.subjectAltName, 'DNS:h, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  const days = (Date.parse(s.validTo) - Date.parse(s.validFrom)) / 86400_000;
  assert.ok(Math.abs(days - 3650) < 1, String(days));
  assert.ok(s.checkPrivateKey((await import('node:crypto')).createPrivateKey(server.key)));
  assert.match(server.key, /^-----BEGIN EC PRIVATE KEY-----/);
  const client = new X509Certificate((await generateCertificate({ kind: 'client', commonName: 'me@h' })).cert);
  assert.deepEqual(client.keyUsage, [clientAuth]);
  assert.equal(client.subjectAltName, undefined);
  assert.equal(certificateFingerprint(server.cert), certificateFingerprint(s.raw));
  assert.match(certificateFingerprint(s), /^[0-9a-f]{64}$/);
});

test('the client certificate is created once, its key private', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-conf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await ensureClientCertificate(join(dir, 'conf'));
  assert.equal((await stat(join(dir, 'conf', 'client.key'))).mode & 0o777, 0o600);
  const again = await ensureClientCertificate(join(dir, 'conf'));
  assert.deepEqual(again, first);
});

test('addresses default to port 8443', () => {
  assert.deepEqual(hostPort('https://10.0.0.1'), { host: '10.0.0.1', port: 8443 });
  assert.deepEqual(hostPort('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(hostPort('example.com'), { host: 'example.com', port: 8443 });
});

test('a fetched certificate can be pinned; another pinned certificate fails the connection', async (t) => {
  const pair = await generateCertificate({ kind: 'server', commonName: 'root@h', dnsNames: ['not-this-host'] });
  const other = await generateCertificate({ kind: 'server', commonName: 'root@x', dnsNames: ['x'] });
  const server = createServer({ ...pair, minVersion: 'TLSv1.3' }, (_req, res) => res.end('{"type":"sync","metadata":"ok"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const fetched = await fetchServerCertificate(url);
  assert.equal(fetched.fingerprint, certificateFingerprint(pair.cert));
  // Pinned: accepted although the certificate names another host.
  const res = await new Transport({ url, tls: { ca: fetched.pem } }).request({ method: 'GET', path: '/' });
  assert.match((await readBody(res)).toString(), /ok/);
  await assert.rejects(new Transport({ url, tls: { ca: other.cert } }).request({ method: 'GET', path: '/' }));
  // Without a pin, the usual verification refuses a self-signed certificate.
  assert.equal(tlsConnectOptions({}).rejectUnauthorized, true);
  assert.equal(tlsConnectOptions({ ca: pair.cert }).checkServerIdentity !== undefined, true);
});
