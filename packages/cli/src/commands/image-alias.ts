// `lodge image alias create/delete/list/rename` (list also on simplestreams servers).
import type { Command } from 'commander';
import type { ImageAliasesEntry } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { listOf } from '../format/gotypes.js';
import { resolveImageServer } from '../image-server.js';
import { stringList } from '../format/natural.js';
import { imageAliasesEntry } from '../format/shapes.js';
import { renderList } from '../output.js';
import { formatOf, withFormat } from './common.js';

async function aliasName(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Alias name missing');
  return r;
}

function aliasMatches(filters: string[], a: ImageAliasesEntry): boolean {
  return filters.length === 0 || filters.some((f) => a.name.includes(f) || a.target.includes(f));
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await resolveImageServer(ctx, args[0] ?? '');
  const filters = [...(r.name ? [r.name] : []), ...args.slice(1)];
  const shown = (await r.server.aliases()).filter((a) => aliasMatches(filters, a));
  const rows = shown.map((a) => [a.name, a.target.slice(0, 12), (a.type || 'container').toUpperCase(), a.description ?? '']).sort(stringList);
  ctx.print(renderList(formatOf(opts), ['ALIAS', 'FINGERPRINT', 'TYPE', 'DESCRIPTION'], rows, shown, listOf(imageAliasesEntry)));
}

export function registerImageAlias(image: Command, app: App): void {
  const alias = app.group(image, 'alias', 'Manage image aliases');
  app.leaf(alias, 'create', { usage: '[<remote>:]<alias> <fingerprint>', summary: 'Create aliases for existing images', min: 2, max: 2 }, async (ctx, args) => {
    const r = await aliasName(ctx, args[0] ?? '');
    await r.client.query('POST', '/1.0/images/aliases', { description: '', target: args[1] ?? '', name: r.name, type: '' });
  });
  app.leaf(alias, 'delete', { usage: '[<remote>:]<alias>', summary: 'Delete image aliases', aliases: ['rm'], min: 1, max: 1 }, async (ctx, args) => {
    const r = await aliasName(ctx, args[0] ?? '');
    await r.client.images.deleteAlias(r.name);
  });
  withFormat(
    app.leaf(
      alias,
      'list',
      { usage: '[<remote>:] [<filters>...]', summary: 'List image aliases', description: 'List image aliases\n\nFilters may be part of the image hash or part of the image alias name.', aliases: ['ls'], max: -1 },
      list,
    ),
  );
  app.leaf(alias, 'rename', { usage: '[<remote>:]<alias> <new-name>', summary: 'Rename aliases', aliases: ['mv'], min: 2, max: 2 }, async (ctx, args) => {
    const r = await aliasName(ctx, args[0] ?? '');
    await r.client.images.renameAlias(r.name, args[1] ?? '');
  });
}
