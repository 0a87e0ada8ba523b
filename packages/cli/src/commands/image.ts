// `lodge image ...`: show, edit, delete, info and properties here; list, import/export and aliases in their own files.
import type { Command } from 'commander';
import type { Image, ImagePut } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { imagePut } from '../format/shapes.js';
import { imageSize, shortDate } from '../format/units.js';
import { toYaml } from '../output.js';
import { dereference, lxdImageServer, resolveImageServer } from '../image-server.js';
import { registerImageAlias } from './image-alias.js';
import { registerImageCopy } from './image-copy.js';
import { registerImageList } from './image-list.js';
import { registerImageTransfer } from './image-transfer.js';

const editHelp = `### This is a YAML representation of the image properties.
### Any line starting with a '# will be ignored.
###
### Each property is represented by a single line:
### An example would be:
###  description: My custom image`;

const unset = (t: string | undefined): boolean => !t || Date.parse(t) <= 0 || Number.isNaN(Date.parse(t));

export function imageWritable(i: Image): ImagePut {
  return { auto_update: i.auto_update, properties: i.properties ?? {}, public: i.public, expires_at: i.expires_at, profiles: i.profiles ?? [] };
}

/** The image a `[remote:]alias-or-fingerprint` argument names on a private server, after alias resolution. */
async function target(ctx: Context, raw: string, needName = false): Promise<Resource & { fingerprint: string }> {
  const r = await ctx.resolve(raw);
  if (needName && r.name === '') throw new Error(`Image identifier missing: ${raw}`);
  return { ...r, fingerprint: await dereference(lxdImageServer(r.client), '', r.name) };
}

/** The image record a `[remote:]alias-or-fingerprint` argument names on any image server (simplestreams too). */
async function readImage(ctx: Context, raw: string, opts: Record<string, unknown> = {}): Promise<Image> {
  const r = await resolveImageServer(ctx, raw);
  return r.server.image(await dereference(r.server, opts.vm ? 'virtual-machine' : '', r.name));
}

export function imageInfoText(info: Image): string {
  const lines = [
    `Fingerprint: ${info.fingerprint}`,
    `Size: ${imageSize(info.size ?? 0)}`,
    `Architecture: ${info.architecture}`,
    `Type: ${info.type || 'container'}`,
    `Public: ${info.public ? 'yes' : 'no'}`,
    'Timestamps:',
  ];
  if (!unset(info.created_at)) lines.push(`    Created: ${shortDate(info.created_at)}`);
  lines.push(`    Uploaded: ${shortDate(info.uploaded_at)}`);
  lines.push(`    Expires: ${unset(info.expires_at) ? 'never' : shortDate(info.expires_at)}`);
  lines.push(`    Last used: ${unset(info.last_used_at) ? 'never' : shortDate(info.last_used_at)}`);
  lines.push('Properties:', ...Object.entries(info.properties ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `    ${k}: ${v}`));
  lines.push('Aliases:', ...(info.aliases ?? []).map((a) => (a.description ? `    - ${a.name} (${a.description})` : `    - ${a.name}`)));
  lines.push(`Cached: ${info.cached ? 'yes' : 'no'}`, `Auto update: ${info.auto_update ? 'enabled' : 'disabled'}`);
  if (info.update_source) {
    lines.push('Source:', `    Server: ${info.update_source.server}`, `    Protocol: ${info.update_source.protocol}`, `    Alias: ${info.update_source.alias}`);
  }
  if ((info.profiles ?? []).length === 0) lines.push('Profiles: []');
  else lines.push('Profiles:', ...(info.profiles ?? []).map((p) => `    - ${p}`));
  return `${lines.join('\n')}\n`;
}

async function setProperty(ctx: Context, args: string[], value: string | undefined): Promise<void> {
  const t = await target(ctx, args[0] ?? '', true);
  const { image, etag } = await t.client.images.get(t.fingerprint);
  const put = imageWritable(image);
  if (value === undefined) delete put.properties[args[1] ?? ''];
  else put.properties[args[1] ?? ''] = value;
  await t.client.images.update(t.fingerprint, put, etag);
}

async function remove(ctx: Context, args: string[]): Promise<void> {
  for (const raw of args) {
    const r = await ctx.resolve(raw);
    if (r.name === '') throw new Error('Image identifier missing');
    const op = await r.client.images.delete(await dereference(lxdImageServer(r.client), '', r.name));
    await op.wait();
  }
}

async function editImage(ctx: Context, args: string[]): Promise<void> {
  const t = await target(ctx, args[0] ?? '', true);
  await edit(ctx, {
    shape: imagePut,
    help: editHelp,
    current: async () => {
      const { image, etag } = await t.client.images.get(t.fingerprint);
      return { yaml: toYaml(imagePut, imageWritable(image)), etag };
    },
    apply: async (body, etag) => void (await t.client.query('PUT', `/1.0/images/${encodeURIComponent(t.fingerprint)}`, body, { etag })),
  });
}

export function registerImage(program: Command, app: App): void {
  const image = app.group(program, 'image', 'Manage images');
  const one = '[<remote>:]<image>';
  registerImageAlias(image, app);
  registerImageCopy(image, app);
  app.leaf(image, 'delete', { usage: `${one} [[<remote>:]<image>...]`, summary: 'Delete images', aliases: ['rm'], min: 1, max: -1 }, remove);
  app.leaf(
    image,
    'edit',
    {
      usage: one,
      summary: 'Edit image properties',
      min: 1,
      max: 1,
      examples: 'lodge image edit <image>\n    Launch a text editor to edit the properties\n\nlodge image edit <image> < image.yaml\n    Load the image properties from a YAML file',
    },
    editImage,
  );
  registerImageTransfer(image, app);
  app
    .leaf(image, 'info', { usage: one, summary: 'Show useful information about images', min: 1, max: 1 }, async (ctx, args, opts) => {
      ctx.print(imageInfoText(await readImage(ctx, args[0] ?? '', opts)));
    })
    .option('--vm', 'Query virtual machine images');
  registerImageList(image, app);
  app
    .leaf(image, 'show', { usage: one, summary: 'Show image properties', min: 1, max: 1 }, async (ctx, args, opts) => {
      ctx.print(toYaml(imagePut, imageWritable(await readImage(ctx, args[0] ?? '', opts))));
    })
    .option('--vm', 'Query virtual machine images');
  app.leaf(image, 'get-property', { usage: `${one} <key>`, summary: 'Get image properties', min: 2, max: 2 }, async (ctx, args) => {
    const props = (await readImage(ctx, args[0] ?? '')).properties ?? {};
    if (!((args[1] ?? '') in props)) throw new Error('Property not found');
    ctx.println(props[args[1] ?? '']);
  });
  app.leaf(image, 'set-property', { usage: `${one} <key> <value>`, summary: 'Set image properties', min: 3, max: 3 }, (ctx, args) => setProperty(ctx, args, args[2] ?? ''));
  app.leaf(image, 'unset-property', { usage: `${one} <key>`, summary: 'Unset image properties', min: 2, max: 2 }, (ctx, args) => setProperty(ctx, args, undefined));
}
