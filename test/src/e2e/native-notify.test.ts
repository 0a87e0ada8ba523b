// lodge-helper notify: the LXC hook's request to the daemon, against a small unix-socket HTTP server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { helperPath } from '../../../packages/daemon/dist/sys/helper.js';
import { exitStatus } from '../../../packages/daemon/dist/sys/helper-attach.js';
import { notifyArgs } from '../../../packages/daemon/dist/sys/helper-notify.js';

function runHelperRaw(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(helperPath(), args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitStatus(code, signal), stderr, ms: Date.now() - started }));
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

test('lodge-helper notify', { skip: spawnSync(helperPath(), ['--help']).status !== 0 && 'needs the built helper', timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lodge-notify-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const http = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.startsWith('/internal/ok')) {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"type":"sync","status":"Success","status_code":200}');
      } else if (req.url!.startsWith('/internal/slow')) {
        setTimeout(() => res.end('late'), 5000).unref();
      } else {
        res.statusCode = 404;
        res.end('{"error":"not found"}');
      }
    });
  });
  const sock = join(dir, 'unix.socket');
  await listen(http, sock);
  t.after(() => new Promise((r) => http.close(r)));
  http.on('connection', (s) => t.after(() => s.destroy()));
  // A server that accepts and never answers, and one that hangs up at once.
  const silent = createNetServer((s) => {
    s.on('data', () => undefined);
    t.after(() => s.destroy());
  });
  await listen(silent, join(dir, 'silent.socket'));
  t.after(() => new Promise((r) => silent.close(r)));
  const rude = createNetServer((s) => s.destroy());
  await listen(rude, join(dir, 'rude.socket'));
  t.after(() => new Promise((r) => rude.close(r)));

  await t.test('2xx: exit 0; the request is a bodiless PUT with the query from the environment', async () => {
    const r = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok/default/c%201/stopped', envQuery: { LXC_TARGET: 'target', LXC_NOT_SET: 'x' } }), {
      ...process.env,
      LXC_TARGET: 're boot&x=1',
    });
    assert.equal(r.code, 0, r.stderr);
    const req = seen.at(-1)!;
    assert.deepEqual([req.method, req.url, req.body], ['PUT', '/internal/ok/default/c%201/stopped?target=re%20boot%26x%3D1', '']);
    assert.equal(req.headers['content-length'], '0');
    assert.equal(req.headers.connection, 'close');
    const again = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok?a=b', envQuery: { LXC_TARGET: 'target' } }), { ...process.env, LXC_TARGET: 'stop' });
    assert.equal(again.code, 0);
    assert.equal(seen.at(-1)!.url, '/internal/ok?a=b&target=stop');
  });

  await t.test('non-2xx: exit 1 with the status line; --best-effort: exit 0', async () => {
    const r = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/missing' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PUT \/internal\/missing: HTTP\/1.1 404 Not Found/);
    assert.equal((await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/missing', bestEffort: true }))).code, 0);
  });

  await t.test('no answer, a slow answer, a hang-up, no daemon: non-zero within the deadline, never a hang', async () => {
    const silentR = await runHelperRaw(notifyArgs({ socket: join(dir, 'silent.socket'), url: '/internal/ok' }));
    assert.equal(silentR.code, 3);
    assert.match(silentR.stderr, /no answer within 2000 ms/);
    assert.ok(silentR.ms >= 1900 && silentR.ms < 3000, `${silentR.ms} ms`);
    const slow = await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/slow', timeoutMs: 300 }));
    assert.equal(slow.code, 3);
    assert.ok(slow.ms < 1500, `${slow.ms} ms`);
    const rudeR = await runHelperRaw(notifyArgs({ socket: join(dir, 'rude.socket'), url: '/internal/ok' }));
    assert.equal(rudeR.code, 3);
    assert.ok(rudeR.ms < 1500, `${rudeR.ms} ms`);
    const none = await runHelperRaw(notifyArgs({ socket: join(dir, 'none.socket'), url: '/internal/ok' }));
    assert.equal(none.code, 3);
    assert.match(none.stderr, /No such file or directory/);
    assert.equal((await runHelperRaw(notifyArgs({ socket: join(dir, 'none.socket'), url: '/internal/ok', bestEffort: true }))).code, 0);
    assert.equal((await runHelperRaw(['notify', '--socket', sock, '--url', 'no-slash'])).code, 2);
    assert.equal((await runHelperRaw(['notify', '--socket', sock, '--url', '/a b'])).code, 2);
  });

  await t.test('a socket path longer than sun_path still works', async () => {
    const deep = join(dir, 'd'.repeat(60), 'e'.repeat(60));
    await mkdir(deep, { recursive: true });
    const long = join(deep, 'lodge.socket');
    assert.ok(long.length > 108);
    const server = createHttpServer((_req, res) => res.end());
    // listen() itself needs a short path: bind through a relative path from the directory.
    const cwd = process.cwd();
    process.chdir(deep);
    try {
      await listen(server, 'lodge.socket');
    } finally {
      process.chdir(cwd);
    }
    t.after(() => new Promise((r) => server.close(r)));
    const r = await runHelperRaw(notifyArgs({ socket: long, url: '/internal/ok' }));
    assert.equal(r.code, 0, r.stderr);
  });

  await t.test('latency', async (tt) => {
    const rounds = 30;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) assert.equal((await runHelperRaw(notifyArgs({ socket: sock, url: '/internal/ok' }))).code, 0);
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    tt.diagnostic(`notify: ${ms.toFixed(2)} ms per call (spawn to exit, daemon answering at once)`);
    assert.ok(ms < 200, `${ms} ms`);
  });
});
