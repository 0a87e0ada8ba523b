// `lodge config trust ...`: the server's trust store (certificates) and certificate add tokens, as lxc prints them.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { CertificatePut } from '@lodge/api';
import { certificateBase64, type PendingToken } from '@lodge/client';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { field, fields, listOf, struct } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, withFormat } from './common.js';

const certificatePutFields = [...fields('string', 'name', 'type'), field('restricted', 'bool'), field('projects', listOf('string')), field('certificate', 'string')];
export const certificatePutShape = struct(...certificatePutFields);
export const certificateShape = struct(...certificatePutFields, field('fingerprint', 'string'));

const tokenShape = struct(field('ClientName', 'string', { yaml: 'clientname' }), field('Token', 'string', { yaml: 'token' }), field('ExpiresAt', 'string', { yaml: 'expiresat' }));

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's "Jan 2, 2006 at 3:04pm (MST)" for a certificate date (x509 times are in UTC). */
export function certDate(d: Date): string {
  const h = d.getUTCHours();
  const min = String(d.getUTCMinutes()).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} at ${h % 12 === 0 ? 12 : h % 12}:${min}${h < 12 ? 'am' : 'pm'} (UTC)`;
}

function commonName(cert: X509Certificate): string {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : '';
}

/** "2006/01/02 15:04 MST" in the local zone, as list-tokens prints expiry. */
function tokenExpiry(iso: string | undefined, env: NodeJS.ProcessEnv): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getTime() / 1000 <= 0) return '';
  const p = (n: number): string => String(n).padStart(2, '0');
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short', timeZone: env.TZ || undefined }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? 'UTC';
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())} ${zone}`;
}

async function add(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const type = typeof opts.type === 'string' ? opts.type : 'client';
  if (type !== 'client' && type !== 'metrics') throw new Error(`Unknown certificate type "${type}"`);
  const r = await ctx.resolve(args.length > 0 ? (args[0] ?? '') : '');
  if (type === 'metrics' && !(await r.client.hasExtension('metrics'))) throw new Error("The server doesn't implement metrics");
  const restricted = opts.restricted === true;
  const projects = typeof opts.projects === 'string' && opts.projects !== '' ? opts.projects.split(',') : [];
  if (args.length === 0) {
    let name = typeof opts.name === 'string' ? opts.name : '';
    if (!name) {
      for (;;) {
        ctx.print('Please provide client name: ');
        name = await ctx.readLine();
        if (name !== '') break;
        ctx.warn('Invalid input, try again.\n');
      }
    }
    if (type === 'metrics') throw new Error('Cannot use metrics type certificate when using a token');
    const pending = await r.client.certificates.createToken({ name, restricted, projects });
    if (!ctx.quiet) ctx.println(`Client ${name} certificate add token:`);
    ctx.println(pending.value);
    return;
  }
  const file = args[args.length - 1] ?? '';
  const path = file === '-' ? '/dev/stdin' : file;
  const pem = file === '-' ? await ctx.readStdin() : await readFile(path, 'utf8');
  let der: string;
  try {
    der = certificateBase64(pem);
    new X509Certificate(Buffer.from(der, 'base64'));
  } catch {
    throw new Error('Invalid certificate');
  }
  const name = typeof opts.name === 'string' && opts.name ? opts.name : basename(path);
  await r.client.certificates.add({ certificate: der, name, type, restricted, projects });
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const { client } = await ctx.resolve(args[0] ?? '');
  const certs = await client.certificates.list();
  const rows = certs.map((c) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(c.certificate);
    } catch {
      throw new Error('Invalid certificate');
    }
    return [c.type, c.name, commonName(cert), c.fingerprint.slice(0, 12), certDate(new Date(cert.validFrom)), certDate(new Date(cert.validTo))];
  });
  ctx.print(renderList(formatOf(opts), ['TYPE', 'NAME', 'COMMON NAME', 'FINGERPRINT', 'ISSUE DATE', 'EXPIRY DATE'], sortRows(rows), certs, listOf(certificateShape)));
}

async function listTokens(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const { client } = await ctx.resolve(args[0] ?? '');
  const tokens: PendingToken[] = await client.useProject('default').certificates.tokens();
  const shown = tokens.map((t) => ({ ClientName: t.token.client_name, Token: t.value, ExpiresAt: tokenExpiry(t.token.expires_at, ctx.io.env) }));
  const rows = shown.map((t) => [t.ClientName, t.Token, t.ExpiresAt]);
  ctx.print(renderList(formatOf(opts), ['NAME', 'TOKEN', 'EXPIRES AT'], sortRows(rows), shown, listOf(tokenShape)));
}

async function fingerprintOf(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing certificate fingerprint');
  return r;
}

export function registerTrust(config: Command, app: App): void {
  const trust = app.group(config, 'trust', 'Manage trusted clients');
  app
    .leaf(
      trust,
      'add',
      {
        usage: '[<remote>:] [<cert>]',
        summary: 'Add new trusted client',
        description:
          'Add new trusted client\n\nThe following certificate types are supported:\n- client (default)\n- metrics\n\nIf the certificate is omitted, a token will be generated and returned. A client\nproviding a valid token will have its client certificate added to the trusted list\nand the consumed token will be invalidated. Similar to certificates, tokens can be\nrestricted to one or more projects.',
        max: 2,
      },
      add,
    )
    .option('--restricted', 'Restrict the certificate to one or more projects')
    .option('--projects <projects>', 'List of projects to restrict the certificate to')
    .option('--name <name>', 'Alternative certificate name')
    .option('--type <type>', 'Type of certificate', 'client');

  app.leaf(
    trust,
    'edit',
    {
      usage: '[<remote>:]<fingerprint>',
      summary: 'Edit trust configurations as YAML',
      min: 1,
      max: 1,
    },
    async (ctx, args) => {
      const r = await fingerprintOf(ctx, args[0] ?? '');
      await edit(ctx, {
        shape: certificatePutShape,
        help: '### This is a YAML representation of the certificate.\n### Any line starting with a # will be ignored.\n###\n### Note that the fingerprint is shown but cannot be changed',
        current: async () => {
          const { certificate, etag } = await r.client.certificates.get(r.name);
          return { yaml: toYaml(certificateShape, certificate), etag };
        },
        apply: async (body, etag) => r.client.certificates.update(r.name, body as CertificatePut, etag),
      });
    },
  );

  withFormat(app.leaf(trust, 'list', { usage: '[<remote>:]', summary: 'List trusted clients', aliases: ['ls'], max: 1 }, list));
  withFormat(app.leaf(trust, 'list-tokens', { usage: '[<remote>:]', summary: 'List all active certificate add tokens', max: 1 }, listTokens));

  app.leaf(trust, 'remove', { usage: '[<remote>:]<fingerprint>', summary: 'Remove trusted client', aliases: ['rm'], min: 1, max: 2 }, async (ctx, args) => {
    const r = await ctx.resolve(args[0] ?? '');
    // Both the legacy "<remote>: <fingerprint>" and "<remote>:<fingerprint>".
    await r.client.certificates.delete(args.length === 2 ? (args[1] ?? '') : r.name);
  });

  app.leaf(trust, 'revoke-token', { usage: '[<remote>:] <name>', summary: 'Revoke certificate add token', min: 1, max: 1 }, async (ctx, args) => {
    const r = await ctx.resolve(args[0] ?? '');
    const tokens = await r.client.useProject('default').certificates.tokens();
    const t = tokens.find((p) => p.token.client_name === r.name);
    if (!t) throw new Error(`No certificate add token for member ${r.name} on remote: ${r.remote}`);
    await r.client.useProject('default').query('DELETE', `/1.0/operations/${encodeURIComponent(t.operationId)}`, undefined, { withProject: false });
    if (!ctx.quiet) ctx.println(`Certificate add token for ${r.name} deleted`);
  });

  app.leaf(trust, 'show', { usage: '[<remote>:]<fingerprint>', summary: 'Show trust configurations', min: 1, max: 1 }, async (ctx, args) => {
    const r = await fingerprintOf(ctx, args[0] ?? '');
    ctx.print(toYaml(certificateShape, (await r.client.certificates.get(r.name)).certificate));
  });
}
