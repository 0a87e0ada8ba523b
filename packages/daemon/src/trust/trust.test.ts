// Unit tests for the trust store, certificate add tokens and the POST /1.0/certificates decisions.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Event } from '@lodge/api';
import { ApiError, encodeCertificateAddToken } from '@lodge/api';
import { generateCertificate } from '@lodge/client';
import { SqliteKv } from '../db/sqlite.js';
import { Store, globalScope } from '../db/store.js';
import { EventHub } from '../events/hub.js';
import { OperationRegistry } from '../operations/registry.js';
import { fingerprintOf, isCurrentlyValid } from './certificates.js';
import { Enrollment, type Enrollee } from './enroll.js';
import { TrustService } from './service.js';
import { CertificateTokens, tokenExpiry } from './tokens.js';

async function setup(t: TestContext, opts: { addresses?: string[]; expiry?: string } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-trust-'));
  const store = new Store(new SqliteKv(join(dir, 'db')));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  await store.tx(async (tx) => {
    for (const name of ['default', 'p1']) await tx.projects.create(globalScope, name, { name, description: '', config: {} });
  });
  const events = new EventHub();
  const seen: Event[] = [];
  events.subscribe({ types: new Set(['lifecycle']), project: 'default', allProjects: true, send: (e) => seen.push(e) });
  const operations = new OperationRegistry(events);
  const trust = new TrustService(store, events);
  await trust.load();
  const tokens = new CertificateTokens({ operations, serverFingerprint: 'f'.repeat(64) });
  const enrollment = new Enrollment({
    trust,
    tokens,
    checkPassword: async (pw) => pw === 'sekrit',
    addresses: () => opts.addresses ?? ['127.0.0.1:8443'],
    tokenExpiry: async () => opts.expiry,
  });
  return { store, trust, tokens, enrollment, operations, seen };
}

const lc = {};
const someone = (peer: Buffer, trusted = false, admin = false): Enrollee => ({ trusted, admin, tls: true, peer, host: '127.0.0.1' });

async function cert(cn = 'tester@host') {
  const pair = await generateCertificate({ kind: 'client', commonName: cn });
  return new X509Certificate(pair.cert);
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e.status;
  }
}

test('the trust store matches peers byte for byte, by fingerprint prefix for the API, and announces changes', async (t) => {
  const { trust, seen } = await setup(t);
  const a = await cert('a@h');
  const b = await cert('b@h');
  let changes = 0;
  trust.onChanged(() => changes++);
  const fp = await trust.add({ cert: a, name: 'a', type: 'client', restricted: true, projects: ['p1'] }, lc);
  assert.equal(fp, fingerprintOf(a.raw));
  assert.deepEqual(trust.match(a.raw), { fingerprint: fp, name: 'a', type: 'client', projects: ['p1'] });
  assert.equal(trust.match(b.raw), undefined);
  // A certificate outside its validity window is not trusted even when stored.
  assert.equal(trust.match(a.raw, fp, Date.parse(a.validTo) + 1000), undefined);
  assert.equal(isCurrentlyValid(a), true);
  const { certificate, etag } = await trust.get(fp.slice(0, 12));
  assert.equal(certificate.certificate.trim(), a.toString().trim());
  assert.equal(await status(trust.add({ cert: a, name: 'again', type: 'client', restricted: false, projects: [] }, lc)), 409);
  assert.equal(await status(trust.add({ cert: b, name: 'b', type: 'client', restricted: true, projects: ['nope'] }, lc)), 404);
  assert.equal(await status(trust.update(fp, { name: 'x' }, { patch: true, lc, etag: (cur) => assert.notEqual(cur, 'stale') })), 0);
  assert.equal((await trust.get(fp)).certificate.name, 'x');
  assert.notEqual((await trust.get(fp)).etag, etag);
  // PUT replaces the writable set: restricted off, no projects.
  await trust.update(fp, { name: 'y', type: 'client' }, { patch: false, lc });
  assert.equal(trust.match(a.raw)?.projects, undefined);
  // A non-admin may renew its own certificate only, and change nothing else.
  assert.equal(await status(trust.update(fp, { name: 'z' }, { patch: true, lc, self: fp })), 403);
  assert.equal(await status(trust.update(fp, { certificate: b.toString() }, { patch: true, lc, self: 'other' })), 403);
  await trust.update(fp, { certificate: b.toString() }, { patch: true, lc, self: fp });
  assert.equal(trust.match(a.raw), undefined);
  assert.equal(trust.match(b.raw)?.name, 'y');
  await trust.delete(fingerprintOf(b.raw).slice(0, 8), lc);
  assert.deepEqual(await trust.list(), []);
  assert.equal(await status(trust.get(fp)), 404);
  assert.deepEqual(
    seen.map((e) => (e.metadata as { action: string }).action),
    ['certificate-created', 'certificate-updated', 'certificate-updated', 'certificate-updated', 'certificate-deleted'],
  );
  assert.ok(changes >= 5);
});

test('expiry expressions follow LXD (seconds to years, each unit once)', () => {
  const from = new Date('2024-01-31T00:00:00Z');
  assert.equal(tokenExpiry(from, ''), undefined);
  assert.equal(tokenExpiry(from, '30S')?.toISOString(), '2024-01-31T00:00:30.000Z');
  assert.equal(tokenExpiry(from, '1d 2H')?.toISOString(), '2024-02-01T02:00:00.000Z');
  assert.equal(tokenExpiry(from, '1w')?.toISOString(), '2024-02-07T00:00:00.000Z');
  assert.throws(() => tokenExpiry(from, '1d 1d'));
  assert.throws(() => tokenExpiry(from, '1x'));
});

test('untrusted callers need the trust password; trusted ones need something to add', async (t) => {
  const { enrollment, trust } = await setup(t);
  const c = await cert();
  assert.equal(await status(enrollment.enroll(someone(c.raw), { type: 'client' }, lc)), 403);
  assert.equal(await status(enrollment.enroll(someone(c.raw), { type: 'client', password: 'wrong' }, lc)), 403);
  assert.equal(await status(enrollment.enroll(someone(c.raw), { password: 'sekrit', token: true }, lc)), 403);
  assert.deepEqual(await trust.list(), []);
  const r = await enrollment.enroll(someone(c.raw), { type: 'client', password: 'sekrit' }, lc);
  assert.deepEqual(r, { kind: 'added', fingerprint: fingerprintOf(c.raw) });
  assert.equal((await trust.list())[0]?.name, 'tester@host');
  assert.equal(await status(enrollment.enroll(someone(c.raw, true, true), { type: 'client' }, lc)), 400);
  assert.equal(await status(enrollment.enroll({ trusted: false, admin: false, tls: true, host: 'h' }, { password: 'sekrit' }, lc)), 400);
  // An admin adds a given certificate (base64 DER), even off TLS.
  const other = await cert('other@h');
  const added = await enrollment.enroll({ trusted: true, admin: true, tls: false, host: '@' }, { certificate: other.raw.toString('base64'), name: 'o' }, lc);
  assert.equal(added.kind, 'added');
  assert.equal(await status(enrollment.enroll({ trusted: true, admin: true, tls: false, host: '@' }, { certificate: 'garbage' }, lc)), 400);
});

test('tokens: issued by admins while listening, redeemed once, with the stored request, until they expire', async (t) => {
  const { enrollment, trust, tokens } = await setup(t, { expiry: '1H' });
  const adminCaller: Enrollee = { trusted: true, admin: true, tls: false, host: '@' };
  assert.equal(await status(enrollment.enroll(adminCaller, { token: true, type: 'metrics', name: 'x' }, lc)), 400);
  assert.equal(await status(enrollment.enroll(adminCaller, { token: true, name: 'x', certificate: 'abc' }, lc)), 400);
  assert.equal(await status(enrollment.enroll(adminCaller, { token: true, name: 'x', restricted: true, projects: ['nope'] }, lc)), 404);
  const issued = await enrollment.enroll(adminCaller, { token: true, type: 'client', name: 'bob', restricted: true, projects: ['p1'] }, lc);
  assert.equal(issued.kind, 'token');
  if (issued.kind !== 'token') return;
  const md = issued.op.metadata as { secret: string; fingerprint: string; addresses: string[]; expiresAt: string; request: { name: string } };
  assert.equal(issued.op.class, 'token');
  assert.deepEqual(md.addresses, ['127.0.0.1:8443']);
  assert.equal(md.request.name, 'bob');
  assert.ok(Date.parse(md.expiresAt) > Date.now() + 3500_000);
  assert.equal(tokens.pending().length, 1);
  const value = encodeCertificateAddToken({ client_name: 'bob', fingerprint: md.fingerprint, addresses: md.addresses, secret: md.secret });
  const forged = encodeCertificateAddToken({ client_name: 'bob', fingerprint: md.fingerprint, addresses: md.addresses, secret: 'ab'.repeat(32) });
  const c = await cert();
  assert.equal(await status(enrollment.enroll(someone(c.raw), { password: forged }, lc)), 403);
  // The caller cannot override what the token grants.
  await enrollment.enroll(someone(c.raw), { password: value, name: 'mallory', restricted: false }, lc);
  assert.deepEqual(trust.match(c.raw), { fingerprint: fingerprintOf(c.raw), name: 'bob', type: 'client', projects: ['p1'] });
  assert.equal(issued.op.status, 401);
  assert.equal(tokens.pending().length, 0);
  const again = await cert('again@h');
  assert.equal(await status(enrollment.enroll(someone(again.raw), { password: value }, lc)), 403);
  // An expired token is consumed and refused.
  const late = await enrollment.enroll(adminCaller, { token: true, name: 'late' }, lc);
  if (late.kind !== 'token') return;
  const lmd = late.op.metadata as { secret: string; fingerprint: string; addresses: string[] };
  const lateValue = encodeCertificateAddToken({ client_name: 'late', fingerprint: lmd.fingerprint, addresses: lmd.addresses, secret: lmd.secret });
  await assert.rejects(tokens.redeem({ client_name: 'late', fingerprint: '', addresses: [], secret: lmd.secret }, Date.now() + 7200_000), /Token has expired/);
  assert.equal(await status(enrollment.enroll(someone(again.raw), { password: lateValue }, lc)), 403);
});

test('no token without an HTTPS listener', async (t) => {
  const { enrollment } = await setup(t, { addresses: [] });
  const e = enrollment.enroll({ trusted: true, admin: true, tls: false, host: '@' }, { token: true, name: 'x' }, lc);
  await assert.rejects(e, /isn't listening on network/);
});
