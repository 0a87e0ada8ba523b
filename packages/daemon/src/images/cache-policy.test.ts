// Cached-image decisions: settings with project overrides, expiry selection, refresh candidates and timing, PreferCached.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageRecord } from '../db/records.js';
import { autoUpdateCandidates, cachedFromSource, cacheSettings, expiredCachedImages, indexMaxAge, isDue, refreshOutcome } from './cache-policy.js';

const hour = 3_600_000;
const day = 24 * hour;
const now = Date.parse('2024-06-10T12:00:00Z');

function image(fp: string, over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    fingerprint: fp,
    filename: 'x',
    size: 1,
    architecture: 'x86_64',
    type: 'container',
    public: false,
    auto_update: false,
    cached: false,
    properties: {},
    profiles: ['default'],
    created_at: '2024-01-01T00:00:00Z',
    expires_at: '1970-01-01T00:00:00Z',
    last_used_at: '0001-01-01T00:00:00Z',
    uploaded_at: '2024-06-01T00:00:00Z',
    split: true,
    ...over,
  };
}

const source = (alias: string, server = 'https://images.example', protocol = 'simplestreams') => ({ alias, certificate: '', protocol, server, image_type: 'container' });

test('settings: defaults, server values, project overrides, decimals', () => {
  assert.deepEqual(cacheSettings({}), { autoUpdateCached: true, autoUpdateIntervalMs: 6 * hour, remoteCacheExpiryMs: 10 * day });
  assert.deepEqual(cacheSettings({ 'images.auto_update_cached': 'false', 'images.auto_update_interval': '0', 'images.remote_cache_expiry': '3' }), { autoUpdateCached: false, autoUpdateIntervalMs: 0, remoteCacheExpiryMs: 3 * day });
  const p = cacheSettings({ 'images.remote_cache_expiry': '3' }, { 'images.remote_cache_expiry': '0', 'images.auto_update_interval': '0.5', 'images.auto_update_cached': 'true' });
  assert.equal(p.remoteCacheExpiryMs, 0, 'a project may keep its cached images forever');
  assert.equal(p.autoUpdateIntervalMs, hour / 2);
  assert.equal(p.autoUpdateCached, true);
});

test('expiry: only cached images unused for longer than the expiry; the upload date counts when never used', () => {
  const list = [
    image('old-cached', { cached: true, last_used_at: '2024-05-30T12:00:00Z' }),
    image('recent-cached', { cached: true, last_used_at: '2024-06-09T12:00:00Z' }),
    image('never-used-cached', { cached: true, uploaded_at: '2024-05-01T00:00:00Z' }),
    image('never-used-fresh', { cached: true, uploaded_at: '2024-06-10T11:00:00Z' }),
    image('old-uploaded', { cached: false, last_used_at: '2020-01-01T00:00:00Z' }),
    image('expires-at-is-ignored', { cached: true, last_used_at: '2024-06-10T00:00:00Z', expires_at: '2024-06-01T00:00:00Z' }),
  ];
  assert.deepEqual(expiredCachedImages(list, 10 * day, now).map((i) => i.fingerprint), ['old-cached', 'never-used-cached']);
  assert.deepEqual(expiredCachedImages(list, 0, now), [], '0 disables the expiry');
  assert.deepEqual(expiredCachedImages(list, hour / 2, now).map((i) => i.fingerprint), ['old-cached', 'recent-cached', 'never-used-cached', 'never-used-fresh', 'expires-at-is-ignored']);
});

test('auto-update: candidates need auto_update and a source alias; passes are due once per interval', () => {
  const list = [image('a', { auto_update: true, update_source: source('alpine') }), image('b', { auto_update: true }), image('c', { update_source: source('x') }), image('d', { auto_update: true, update_source: source('') })];
  assert.deepEqual(autoUpdateCandidates(list).map((i) => i.fingerprint), ['a']);
  assert.equal(isDue(undefined, 6 * hour, now), true, 'first pass at start');
  assert.equal(isDue(now - 5 * hour, 6 * hour, now), false);
  assert.equal(isDue(now - 6 * hour, 6 * hour, now), true);
  assert.equal(isDue(undefined, 0, now), false, '0 disables refreshes');
  assert.equal(refreshOutcome('aaa', 'aaa'), 'unchanged');
  assert.equal(refreshOutcome('aaa', 'bbb'), 'replaced');
  assert.equal(indexMaxAge(6 * hour), hour);
  assert.equal(indexMaxAge(hour / 100), hour / 100, 'a faster refresh reads the index as often');
  assert.equal(indexMaxAge(0), hour);
});

test('prefer cached: same server, protocol and alias with auto_update, by host architecture order, newest first', () => {
  const list = [
    image('i686-old', { architecture: 'i686', auto_update: true, update_source: source('alpine') }),
    image('x86-old', { auto_update: true, update_source: source('alpine'), created_at: '2024-01-01T00:00:00Z' }),
    image('x86-new', { auto_update: true, update_source: source('alpine'), created_at: '2024-02-01T00:00:00Z' }),
    image('other-alias', { auto_update: true, update_source: source('debian') }),
    image('no-auto-update', { update_source: source('alpine'), created_at: '2025-01-01T00:00:00Z' }),
    image('vm', { type: 'virtual-machine', auto_update: true, update_source: source('alpine'), created_at: '2025-01-01T00:00:00Z' }),
  ];
  const q = { server: 'https://images.example', protocol: 'simplestreams', alias: 'alpine', type: 'container', architectures: ['x86_64', 'i686'] };
  assert.equal(cachedFromSource(list, q)?.fingerprint, 'x86-new');
  assert.equal(cachedFromSource(list, { ...q, architectures: ['i686'] })?.fingerprint, 'i686-old');
  assert.equal(cachedFromSource(list, { ...q, type: '' })?.fingerprint, 'vm');
  assert.equal(cachedFromSource(list, { ...q, server: 'https://elsewhere' }), undefined);
  assert.equal(cachedFromSource(list, { ...q, protocol: 'lxd' }), undefined);
});
