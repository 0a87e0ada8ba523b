// GET /1.0 and server config through the real lxc client and the client library.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { lodgedBin } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

test('lxc info shows a trusted lodge server with its environment', async (t) => {
  const d = await startDaemon(t);
  const out = await d.lxc(['info']);
  assert.match(out.stdout, /auth: trusted/);
  assert.match(out.stdout, /server: lodge/);
  assert.match(out.stdout, /driver: lxc/);
  const { server } = await d.client.server.get();
  assert.equal(server.api_version, '1.0');
  assert.equal(server.api_status, 'stable');
  assert.equal(server.environment.server_pid, d.pid);
  assert.ok(server.environment.certificate.startsWith('-----BEGIN CERTIFICATE-----'));
});

test('unknown paths are 404 and unknown methods 501, in the LXD error envelope', async (t) => {
  const d = await startDaemon(t);
  const res = await d.client.transport.request({ method: 'GET', path: '/1.0/nothing' });
  assert.equal(res.statusCode, 404);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString();
  assert.ok(body.endsWith('\n\n'));
  assert.deepEqual(JSON.parse(body), { type: 'error', status: '', status_code: 0, operation: '', error_code: 404, error: 'not found', metadata: null });
  const patch = await d.client.transport.request({ method: 'PATCH', path: '/1.0/operations' });
  assert.equal(patch.statusCode, 501);
  patch.resume();
});

test('server config: keys validated by name, PUT honours If-Match, the trust password is hashed', async (t) => {
  const d = await startDaemon(t);
  const bad = await d.lxc(['config', 'set', 'core.nonsense', 'x'], { allowFail: true });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /core\.nonsense/);
  const badValue = await d.lxc(['config', 'set', 'images.remote_cache_expiry', 'soon'], { allowFail: true });
  assert.notEqual(badValue.code, 0);
  assert.match(badValue.stderr, /images\.remote_cache_expiry/);
  await d.lxc(['config', 'set', 'images.remote_cache_expiry', '3']);
  assert.equal((await d.lxc(['config', 'get', 'images.remote_cache_expiry'])).stdout.trim(), '3');
  await d.lxc(['config', 'set', 'core.trust_password', 'sekrit']);
  const { server, etag } = await d.client.server.get();
  assert.equal(server.config['core.trust_password'], true);
  await assert.rejects(d.client.server.update({ config: {} }, 'not-the-etag'), /ETag doesn't match/);
  await d.client.server.update({ config: { ...server.config, 'user.x': 'y' } }, etag);
  const after = (await d.client.server.get()).server.config;
  assert.equal(after['user.x'], 'y');
  assert.equal(after['core.trust_password'], true);
});

test('shutdown with an event stream, an exec session and an idle keep-alive connection open: lodged exits, the container runs on', async (t) => {
  const d = await (await startDaemon(t)).withBusybox();
  await d.lxc(['launch', 'busybox', 'c1']);
  const monitor = spawn('lxc', ['monitor'], { env: d.env, stdio: 'ignore' });
  const shell = spawn('lxc', ['exec', 'c1', '--', 'sleep', '600'], { env: d.env, stdio: 'ignore' });
  t.after(() => {
    monitor.kill('SIGKILL');
    shell.kill('SIGKILL');
  });
  const idle = createConnection(d.socket);
  idle.write('GET /1.0 HTTP/1.1\r\nHost: lodge\r\nConnection: keep-alive\r\n\r\n');
  await new Promise((r) => idle.once('data', r));
  // Both long-lived connections are up once the exec's operation exists.
  for (let i = 0; i < 100 && (await d.client.get<Record<string, string[]>>('/1.0/operations')).running === undefined; i++) await new Promise((r) => setTimeout(r, 50));
  const pid = d.pid!;
  const started = Date.now();
  const res = await run(lodgedBin, ['shutdown', '--dir', d.dir], { allowFail: true, timeoutMs: 60_000 });
  assert.equal(res.code, 0, res.stderr);
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(pid), false, `lodged still running ${Date.now() - started} ms after shutdown`);
  idle.destroy();
  await d.start();
  assert.equal((await d.client.get<{ status: string }>('/1.0/instances/c1')).status, 'Running');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
