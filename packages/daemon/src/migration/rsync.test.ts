// rsync over an in-memory channel pair: what the source sends is what the target gets (owners, modes, links).
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessRunner } from '../sys/runner.js';
import { Channel, type Socketish } from './channel.js';
import { rsyncRecv, rsyncSend } from './rsync.js';

/** Two sockets wired to each other, like the two ends of a websocket. */
function pair(): [Socketish, Socketish] {
  const make = (): Socketish & { deliver(d: Buffer, b: boolean): void; peer?: Socketish & { deliver(d: Buffer, b: boolean): void } } => {
    let handler: ((d: Buffer, b: boolean) => void) | undefined;
    const queue: [Buffer, boolean][] = [];
    const s = {
      peer: undefined as (Socketish & { deliver(d: Buffer, b: boolean): void }) | undefined,
      deliver(d: Buffer, b: boolean) {
        if (handler) handler(d, b);
        else queue.push([d, b]);
      },
      onMessage(fn: (d: Buffer, b: boolean) => void) {
        handler = fn;
        for (const [d, b] of queue.splice(0)) fn(d, b);
      },
      onClose() {},
      async send(data: Buffer | string, binary = true) {
        const buf = Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.from(data);
        setImmediate(() => s.peer!.deliver(buf, binary));
      },
      close() {},
    };
    return s;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

test('a volume crosses an rsync session with owners, modes and symlinks; two sessions share one channel', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'lodge-rsync-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const src = join(base, 'src');
  await mkdir(join(src, 'rootfs', 'etc'), { recursive: true });
  await writeFile(join(src, 'rootfs', 'etc', 'hostname'), 'c1\n', { mode: 0o640 });
  await chown(join(src, 'rootfs', 'etc', 'hostname'), 1000, 1001);
  await symlink('/etc/hostname', join(src, 'rootfs', 'link'));
  await writeFile(join(src, 'big'), Buffer.alloc(3 * 1024 * 1024, 7));
  const [a, b] = pair();
  const send = new Channel('fs', a);
  const recv = new Channel('fs', b);
  const runner = new ProcessRunner();
  for (const dst of ['dst1', 'dst2']) {
    await mkdir(join(base, dst));
    await Promise.all([rsyncSend(runner, { path: src, channel: send, features: ['xattrs', 'delete', 'compress'], progress: () => undefined }), rsyncRecv(runner, { path: join(base, dst), channel: recv, features: ['xattrs', 'delete', 'compress'], progress: () => undefined })]);
    const st = await lstat(join(base, dst, 'rootfs', 'etc', 'hostname'));
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(await readlink(join(base, dst, 'rootfs', 'link')), '/etc/hostname');
    assert.equal((await readFile(join(base, dst, 'big'))).length, 3 * 1024 * 1024);
  }
});
