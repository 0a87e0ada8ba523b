// Unit tests for the certificate add token: LXD's exact encoding, and decoding only complete tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certificateAddTokenOf, decodeCertificateAddToken, encodeCertificateAddToken } from './certificate.js';

const token = { client_name: 'c1', fingerprint: 'ab'.repeat(32), addresses: ['127.0.0.1:8443', '[::1]:8443'], secret: 'cd'.repeat(32) };

test('tokens encode as base64 JSON in LXD field order, expires_at defaulting to the zero time', () => {
  const json = Buffer.from(encodeCertificateAddToken(token), 'base64').toString();
  assert.equal(
    json,
    `{"client_name":"c1","fingerprint":"${'ab'.repeat(32)}","addresses":["127.0.0.1:8443","[::1]:8443"],"secret":"${'cd'.repeat(32)}","expires_at":"0001-01-01T00:00:00Z"}`,
  );
  const withExpiry = JSON.parse(Buffer.from(encodeCertificateAddToken({ ...token, expires_at: '2030-01-02T03:04:05Z' }), 'base64').toString());
  assert.equal(withExpiry.expires_at, '2030-01-02T03:04:05Z');
});

test('decoding round-trips and refuses passwords and incomplete tokens', () => {
  assert.deepEqual(decodeCertificateAddToken(encodeCertificateAddToken(token)), { ...token, expires_at: '0001-01-01T00:00:00Z' });
  assert.deepEqual(decodeCertificateAddToken(`  ${encodeCertificateAddToken(token)}\n`)?.secret, token.secret);
  for (const bad of ['', 'sekrit', 'my password', 'bm90IGpzb24=', Buffer.from('[]').toString('base64'), Buffer.from('null').toString('base64')]) {
    assert.equal(decodeCertificateAddToken(bad), undefined, bad);
  }
  for (const missing of ['client_name', 'fingerprint', 'secret', 'addresses'] as const) {
    const partial: Record<string, unknown> = { ...token };
    delete partial[missing];
    assert.equal(decodeCertificateAddToken(Buffer.from(JSON.stringify(partial)).toString('base64')), undefined, missing);
  }
  const noAddresses = Buffer.from(JSON.stringify({ ...token, addresses: [] })).toString('base64');
  assert.equal(decodeCertificateAddToken(noAddresses), undefined);
});

test('a token operation gives the token lxc prints; other operations give none', () => {
  const md = { secret: token.secret, fingerprint: token.fingerprint, addresses: token.addresses, request: { name: 'c1', type: 'client' }, expiresAt: '2030-01-01T00:00:00Z' };
  assert.deepEqual(certificateAddTokenOf(md), { ...token, expires_at: '2030-01-01T00:00:00Z' });
  assert.equal(certificateAddTokenOf({ secret: 'x' }), undefined);
  assert.equal(certificateAddTokenOf(null), undefined);
  assert.equal(certificateAddTokenOf({ ...md, request: { type: 'client' } }), undefined);
});
