// `lodge publish`: an image from an instance or snapshot (POST /1.0/images source.type=instance|snapshot), with
// lxc's --force dance (an ephemeral instance is made persistent while stopped, then restarted) and client-side aliases.
import type { Command } from 'commander';
import type { ImageAlias } from '@lodge/api';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context } from '../context.js';
import { lxdImageServer } from '../image-server.js';
import { Progress } from '../progress.js';
import { imagesPost } from '../requests.js';
import { copyImage } from './image-copy.js';
import { ensureAliases } from './image-transfer.js';
import { writable } from './instance-common.js';

const stopped = 102;

/** Go's time.Parse(time.RFC3339, ...): the only layout lxc accepts for --expire. */
export function parseRfc3339(s: string): string {
  if (!/^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(s) || Number.isNaN(Date.parse(s))) {
    throw new Error(`Invalid expiration date: parsing time "${s}" as "2006-01-02T15:04:05Z07:00": cannot parse "${s}" as "2006"`);
  }
  return s;
}

async function publish(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const c = await ctx.ref(args[0] ?? '');
  let firstProp = 1;
  let i = await ctx.ref('');
  if (args.length >= 2 && !(args[1] ?? '').includes('=')) {
    firstProp = 2;
    i = await ctx.ref(args[1] ?? '');
  }
  if (c.name === '') throw new Error('Instance name is mandatory');
  if (i.name !== '') throw new Error('There is no "image name".  Did you want an alias?');
  const d = await ctx.client(i.remote);
  const s = c.remote === i.remote ? d : await ctx.client(c.remote);
  const isSnapshot = c.name.includes('/');

  let restart: (() => Promise<void>) | undefined;
  try {
    if (!isSnapshot) {
      const { instance, etag } = await s.instances.get(c.name);
      const wasRunning = instance.status_code !== 0 && instance.status_code !== stopped;
      if (wasRunning) {
        if (!opts.force) throw new Error('The instance is currently running. Use --force to have it stopped and restarted');
        if (instance.ephemeral) {
          // Cleared so that stopping does not destroy the instance.
          await (await s.instances.update(c.name, { ...writable(instance), ephemeral: false }, etag)).wait();
        }
        try {
          await (await s.instances.setState(c.name, { action: 'stop', timeout: -1, force: true, stateful: false })).wait();
        } catch {
          throw new Error('Stopping instance failed!');
        }
        restart = async () => {
          try {
            await (await s.instances.setState(c.name, { action: 'start', timeout: -1, force: true, stateful: false })).wait();
          } catch {
            /* lxc ignores a failed restart */
          }
        };
        if (instance.ephemeral) {
          const fresh = await s.instances.get(c.name);
          await (await s.instances.update(c.name, { ...writable(fresh.instance), ephemeral: true }, fresh.etag)).wait();
        }
      }
    }

    const properties: Record<string, string> = {};
    for (const arg of args.slice(firstProp)) {
      const eq = arg.indexOf('=');
      if (eq < 0) throw new Error(`Bad key=value pair: [${arg}]`);
      properties[arg.slice(0, eq)] = arg.slice(eq + 1);
    }
    const aliases: ImageAlias[] = ((opts.alias as string[] | undefined) ?? []).map((name) => ({ name, description: '' }));
    const compression = typeof opts.compression === 'string' ? opts.compression : '';
    if (compression && !(await s.hasExtension('image_compression_algorithm'))) {
      throw new Error('The server is missing the required "image_compression_algorithm" API extension');
    }
    const body = imagesPost({
      properties: Object.keys(properties).length > 0 ? properties : undefined,
      public: c.remote === i.remote ? opts.public === true : false,
      expires_at: typeof opts.expire === 'string' && opts.expire ? parseRfc3339(opts.expire) : undefined,
      source: { type: isSnapshot ? 'snapshot' : (await s.hasExtension('instances')) ? 'instance' : 'container', name: c.name },
      compression_algorithm: compression,
    });
    const op = await s.operation('POST', '/1.0/images', body);
    const progress = new Progress(ctx.io.stdout, 'Publishing instance: %s', ctx.quiet);
    op.onUpdate((o) => progress.updateOp(o));
    try {
      await op.wait();
    } finally {
      progress.done('');
    }
    const fingerprint = op.operation.metadata?.fingerprint;
    if (typeof fingerprint !== 'string') throw new Error('The server did not return the fingerprint of the new image');

    if (c.remote !== i.remote) {
      // Published on the instance's server, copied to the image remote, then removed from the first.
      try {
        const { image } = await s.images.get(fingerprint);
        await copyImage(d, lxdImageServer(s), image, { public: opts.public === true }, new Progress(ctx.io.stdout, '%s', true));
      } finally {
        await s.images
          .delete(fingerprint)
          .then((del) => del.wait())
          .catch(() => undefined);
      }
    }
    await ensureAliases(
      d,
      aliases.map((a) => a.name),
      fingerprint,
    );
    ctx.println(`Instance published with fingerprint: ${fingerprint}`);
  } finally {
    await restart?.();
  }
}

export function registerPublish(program: Command, app: App): void {
  app
    .leaf(
      program,
      'publish',
      { usage: '[<remote>:]<instance>[/<snapshot>] [<remote>:] [flags] [key=value...]', summary: 'Publish instances as images', min: 1, max: -1 },
      publish,
    )
    .option('--public', 'Make the image public')
    .option('--alias <alias>', 'New alias to define at target', collect)
    .option('-f, --force', 'Stop the instance if currently running')
    .option('--compression <algorithm>', 'Compression algorithm to use (`none` for uncompressed)')
    .option('--expire <date>', 'Image expiration date (format: rfc3339)');
}
