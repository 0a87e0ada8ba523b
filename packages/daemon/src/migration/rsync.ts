// rsync over a migration channel, with LXD's arguments on both ends so transfers interoperate with LXD 5.0.
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { Runner } from '../sys/runner.js';
import { netcatShell } from '../sys/helper-notify.js';
import type { Channel } from './channel.js';

export type RsyncFeature = 'xattrs' | 'delete' | 'compress' | 'bidirectional';

export function featureArgs(features: RsyncFeature[]): string[] {
  const args: string[] = [];
  if (features.includes('xattrs')) args.push('--xattrs', '--filter=-x security.selinux');
  if (features.includes('delete')) args.push('--delete');
  if (features.includes('compress')) args.push('--compress', '--compress-level=2');
  return args;
}

/** Copies a readable into the channel as binary frames, honouring backpressure; then the barrier. */
async function pumpToChannel(from: NodeJS.ReadableStream, ch: Channel, count: (n: number) => void): Promise<void> {
  for await (const chunk of from) {
    count((chunk as Buffer).length);
    await ch.send(chunk as Buffer);
  }
  await ch.barrier();
}

/** Writes the channel's session into a writable, waiting for drain, and ends it at the barrier. */
async function pumpFromChannel(ch: Channel, to: NodeJS.WritableStream & { end(): void }, count: (n: number) => void = () => undefined): Promise<void> {
  await ch.readSession(
    (chunk) =>
      new Promise<void>((resolve) => {
        count(chunk.length);
        if (to.write(chunk)) resolve();
        else to.once('drain', () => resolve());
      }),
  );
  to.end();
}

export interface RsyncTransfer {
  /** The volume directory (sent from, or received into). */
  path: string;
  channel: Channel;
  features: RsyncFeature[];
  progress: (bytes: number) => void;
  /** Files vanishing mid-transfer (rsync exit 24) are expected while the source still runs. */
  tolerateVanished?: boolean;
}

/** rsync's "some files vanished before they could be transferred". */
const VANISHED = 24;

/** Source side: rsync client → netcat → our abstract socket ↔ channel. */
export async function rsyncSend(runner: Runner, t: RsyncTransfer): Promise<void> {
  const { path, channel: ch, features, progress } = t;
  const name = `@lodge/${randomUUID()}`;
  const server = createServer();
  const connected = new Promise<Socket>((resolve, reject) => {
    server.once('connection', resolve);
    server.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => server.listen(`\0${name.slice(1)}`, resolve).once('error', reject));
  const args = ['-ar', '--devices', '--numeric-ids', '--partial', '--sparse', ...featureArgs(features), path.endsWith('/') ? path : `${path}/`, 'localhost:/tmp/foo', '-e', netcatShell(name)];
  const rsync = runner.spawn('rsync', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const err: Buffer[] = [];
  rsync.stderr?.on('data', (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve) => rsync.on('close', (code) => resolve(code ?? 1)));
  try {
    const sock = await Promise.race([connected, exited.then((code) => Promise.reject(new Error(`rsync exited (${code}) before connecting: ${Buffer.concat(err).toString().trim()}`)))]);
    let sent = 0;
    await Promise.all([
      pumpToChannel(sock, ch, (n) => progress((sent += n))),
      pumpFromChannel(ch, sock),
    ]);
    const code = await exited;
    if (code === VANISHED && t.tolerateVanished) return;
    if (code !== 0) throw new Error(`Rsync send failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`);
  } finally {
    server.close();
    if (rsync.exitCode === null) rsync.kill('SIGKILL');
  }
}

/** Target side: `rsync --server` with its stdio bridged to the channel; data lands in path. */
export async function rsyncRecv(runner: Runner, t: RsyncTransfer): Promise<void> {
  const { path, channel: ch, features, progress } = t;
  const args = ['--server', '-vlogDtpre.iLsfx', '--numeric-ids', '--devices', '--partial', '--sparse', ...featureArgs(features), '.', path.endsWith('/') ? path : `${path}/`];
  const rsync = runner.spawn('rsync', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  rsync.stderr?.on('data', (b: Buffer) => err.push(b));
  rsync.stdin?.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => rsync.on('close', (code) => resolve(code ?? 1)));
  let received = 0;
  try {
    await Promise.all([pumpFromChannel(ch, rsync.stdin!, (n) => progress((received += n))), pumpToChannel(rsync.stdout!, ch, () => undefined)]);
    const code = await exited;
    if (code === VANISHED && t.tolerateVanished) return;
    if (code !== 0) throw new Error(`Rsync receive failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`);
  } finally {
    if (rsync.exitCode === null) rsync.kill('SIGKILL');
  }
}
