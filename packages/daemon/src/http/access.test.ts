// Unit tests for the trust decision of HTTPS requests and the access rules built on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { State } from '../state.js';
import { admin, authenticated, localOnly, mayUseProject, projectParam, trusted, untrusted } from './access.js';
import { tlsIdentity, unixIdentity, type Identity } from './identity.js';
import type { Access, ApiRequest } from './types.js';

const der = Buffer.from('peer');
const fp = 'f'.repeat(64);

function request(identity: Identity, url = '/1.0/instances', params: Record<string, string> = {}, headers: Record<string, string> = {}): ApiRequest {
  const u = new URL(url, 'https://x');
  return {
    identity,
    project: u.searchParams.get('project') || 'default',
    query: u.searchParams,
    headers,
    param: (n: string) => params[n] ?? '',
  } as unknown as ApiRequest;
}

function allowed(rule: Access, req: ApiRequest): boolean {
  try {
    void rule(req, {} as State);
    return true;
  } catch (e) {
    assert.equal((e as { status?: number }).status, 403);
    return false;
  }
}

test('TLS identities: client, restricted, cluster peer, metrics only for /1.0/metrics, untrusted', () => {
  assert.deepEqual(tlsIdentity('127.0.0.1:5000', undefined, undefined, '/1.0'), { address: '127.0.0.1:5000', protocol: 'tls', username: '', trusted: false });
  const stranger = tlsIdentity('127.0.0.1:5000', der, undefined, '/1.0');
  assert.equal(stranger.trusted, false);
  assert.equal(stranger.certificate, der);
  const client = tlsIdentity('127.0.0.1:5000', der, { fingerprint: fp, type: 'client' }, '/1.0');
  assert.deepEqual([client.trusted, client.protocol, client.username, client.projects], [true, 'tls', fp, undefined]);
  const restricted = tlsIdentity('a', der, { fingerprint: fp, type: 'client', projects: ['p1'] }, '/1.0');
  assert.deepEqual(restricted.projects, ['p1']);
  const peer = tlsIdentity('a', der, { fingerprint: fp, type: 'server' }, '/1.0/instances');
  assert.deepEqual([peer.trusted, peer.protocol], [true, 'cluster']);
  assert.equal(tlsIdentity('a', der, { fingerprint: fp, type: 'metrics' }, '/1.0/instances').trusted, false);
  assert.equal(tlsIdentity('a', der, { fingerprint: fp, type: 'metrics' }, '/1.0/metrics').trusted, true);
});

test('access rules: untrusted callers only reach untrusted endpoints', () => {
  const anon = tlsIdentity('a', undefined, undefined, '/1.0');
  assert.equal(allowed(untrusted, request(anon)), true);
  assert.equal(allowed(untrusted, request(anon, '/1.0', {}, { 'x-lxd-authenticated': 'true' })), false);
  for (const rule of [trusted, authenticated, admin, localOnly, projectParam('name')]) assert.equal(allowed(rule, request(anon, '/1.0/projects/p1', { name: 'p1' })), false);
  assert.equal(mayUseProject(request(anon)), false);
});

test('access rules: restricted certificates stay inside their projects', () => {
  const r = tlsIdentity('a', der, { fingerprint: fp, type: 'client', projects: ['p1'] }, '/1.0');
  assert.equal(allowed(authenticated, request(r, '/1.0/instances?project=p1')), true);
  assert.equal(allowed(authenticated, request(r, '/1.0/instances')), false);
  assert.equal(allowed(authenticated, request(r, '/1.0/instances?project=p2')), false);
  assert.equal(allowed(authenticated, request(r, '/1.0/instances?project=p1&all-projects=true')), false);
  assert.equal(allowed(projectParam('name'), request(r, '/1.0/projects/p1', { name: 'p1' })), true);
  assert.equal(allowed(projectParam('name'), request(r, '/1.0/projects/default', { name: 'default' })), false);
  assert.equal(allowed(trusted, request(r)), true);
  assert.equal(allowed(admin, request(r)), false);
  assert.equal(mayUseProject(request(r, '/1.0/images?project=p1')), true);
  assert.equal(mayUseProject(request(r, '/1.0/images')), false);
});

test('access rules: unrestricted certificates and the unix socket are admins; only the socket is local', () => {
  const c = tlsIdentity('a', der, { fingerprint: fp, type: 'client' }, '/1.0');
  for (const rule of [trusted, authenticated, admin]) assert.equal(allowed(rule, request(c, '/1.0/instances?project=p9&all-projects=true')), true);
  assert.equal(allowed(localOnly, request(c)), false);
  assert.equal(allowed(localOnly, request(unixIdentity())), true);
  assert.equal(allowed(admin, request(unixIdentity())), true);
});
