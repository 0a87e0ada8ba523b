// `lodge operation list/show/delete`: background operations of the server.
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { Context } from '../context.js';
import { operation as operationShape } from '../format/shapes.js';
import { listOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { shortDate } from '../format/units.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, isClustered, withFormat, yesNo } from './common.js';

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  if (r.name !== '') throw new Error("Filtering isn't supported yet");
  const clustered = await isClustered(r.client);
  const ops = await r.client.server.operations();
  const rows = ops.map((op) => [
    op.id,
    (op.class ?? '').toUpperCase(),
    op.description ?? '',
    (op.status ?? '').toUpperCase(),
    yesNo(op.may_cancel === true),
    shortDate(op.created_at),
    ...(clustered ? [op.location ?? ''] : []),
  ]);
  const header = ['ID', 'TYPE', 'DESCRIPTION', 'STATUS', 'CANCELABLE', 'CREATED', ...(clustered ? ['LOCATION'] : [])];
  ctx.print(renderList(formatOf(opts), header, sortRows(rows), ops, listOf(operationShape)));
}

async function show(ctx: Context, args: string[]): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  ctx.print(toYaml(operationShape, await r.client.server.operation(r.name)));
}

async function remove(ctx: Context, args: string[]): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  await r.client.server.cancelOperation(r.name);
  ctx.say(`Operation ${r.name} deleted`);
}

export function registerOperation(program: Command, app: App): void {
  const op = app.group(program, 'operation', 'List, show and delete background operations');
  withFormat(app.leaf(op, 'list', { usage: '[<remote>:]', summary: 'List background operations', aliases: ['ls'], max: 1 }, list));
  app.leaf(
    op,
    'show',
    { usage: '[<remote>:]<operation>', summary: 'Show details on a background operation', min: 1, max: 1, examples: 'lodge operation show 344a79e4-d88a-45bf-9c39-c72c26f6ab8a\n    Show details on that operation UUID' },
    show,
  );
  app.leaf(op, 'delete', { usage: '[<remote>:]<operation>', summary: 'Delete a background operation (will attempt to cancel)', aliases: ['cancel', 'rm'], min: 1, max: 1 }, remove);
}
