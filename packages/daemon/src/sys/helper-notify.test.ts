// Pure logic of the lodge-helper wrapper: the notify argv and the post-stop hook command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notifyArgs, notifyHookCommand } from './helper-notify.js';

const env = { LODGE_HELPER: '/opt/lodge-helper' };

test('notifyArgs and the post-stop hook command line', () => {
  assert.deepEqual(notifyArgs({ socket: '/var/lib/lodge/unix.socket', url: '/internal/instances/default/c1/stopped', envQuery: { LXC_TARGET: 'target' } }), [
    'notify', '--socket', '/var/lib/lodge/unix.socket', '--url', '/internal/instances/default/c1/stopped', '--env-query', 'LXC_TARGET=target',
  ]);
  assert.deepEqual(notifyArgs({ socket: '/s', url: '/u?a=b', method: 'POST', timeoutMs: 500, bestEffort: true }), [
    'notify', '--socket', '/s', '--url', '/u?a=b', '--method', 'POST', '--timeout-ms', '500', '--best-effort',
  ]);
  assert.throws(() => notifyArgs({ socket: '/s', url: 'relative' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/a b' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/a\r\nX: y' }), /invalid url/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', method: 'GET /x' }), /invalid method/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', timeoutMs: 0 }), /invalid timeout/);
  assert.throws(() => notifyArgs({ socket: '/s', url: '/u', envQuery: { 'A-B': 'x' } }), /invalid env query/);
  assert.equal(
    notifyHookCommand({ socket: "/tmp/it's here/unix.socket", url: '/internal/x', envQuery: { LXC_TARGET: 'target' } }, env),
    "/opt/lodge-helper notify --socket '/tmp/it'\\''s here/unix.socket' --url /internal/x --env-query LXC_TARGET=target",
  );
});
