// Certificate add tokens: one-time token operations (class "token", project default) whose secret a
// new client presents as its password; expiry from core.remote_token_expiry.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { CertificateAddToken, CertificatesPost, CertificateTokenMetadata } from '@lodge/api';
import { ApiError, StatusCode, formatTime } from '@lodge/api';
import type { Operation } from '../operations/operation.js';
import type { OperationRegistry } from '../operations/registry.js';

/** Units of LXD's expiry expressions ("1d 2H"), GetExpiry: seconds up to years. */
const units: Record<string, (d: Date, n: number) => void> = {
  S: (d, n) => d.setUTCSeconds(d.getUTCSeconds() + n),
  M: (d, n) => d.setUTCMinutes(d.getUTCMinutes() + n),
  H: (d, n) => d.setUTCHours(d.getUTCHours() + n),
  d: (d, n) => d.setUTCDate(d.getUTCDate() + n),
  w: (d, n) => d.setUTCDate(d.getUTCDate() + 7 * n),
  m: (d, n) => d.setUTCMonth(d.getUTCMonth() + n),
  y: (d, n) => d.setUTCFullYear(d.getUTCFullYear() + n),
};

/** The time an expiry expression points to after `from`; undefined for an empty one; throws when invalid. */
export function tokenExpiry(from: Date, expr: string): Date | undefined {
  const parts = expr.trim().split(' ').filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const d = new Date(from.getTime());
  const seen = new Set<string>();
  for (const p of parts) {
    const m = /^(\d+)([SMHdwmy])$/.exec(p);
    if (!m || seen.has(m[2]!)) throw new Error('Invalid expiry expression');
    seen.add(m[2]!);
    units[m[2]!]!(d, Number(m[1]));
  }
  return d;
}

export interface TokenDeps {
  operations: OperationRegistry;
  /** Fingerprint of the server certificate the client will pin. */
  serverFingerprint: string;
}

export class CertificateTokens {
  constructor(private readonly d: TokenDeps) {}

  /** Starts a token operation for a client certificate request; addresses are the HTTPS listen addresses. */
  issue(request: CertificatesPost, addresses: string[], expiry: string | undefined): Operation {
    const metadata: CertificateTokenMetadata = {
      secret: randomBytes(32).toString('hex'),
      fingerprint: this.d.serverFingerprint,
      addresses,
      request: {
        name: request.name ?? '',
        type: request.type ?? 'client',
        restricted: request.restricted ?? false,
        projects: request.projects ?? [],
        certificate: request.certificate ?? '',
        password: '',
        token: true,
      },
    };
    const expiresAt = expiry ? tokenExpiry(new Date(), expiry) : undefined;
    if (expiresAt) metadata.expiresAt = formatTime(expiresAt);
    return this.d.operations.start({
      project: 'default',
      class: 'token',
      description: 'Executing operation',
      resources: null,
      metadata: metadata as unknown as Record<string, unknown>,
    });
  }

  /** Running token operations (what `lxc config trust list-tokens` shows). */
  pending(): Operation[] {
    return this.d.operations.list('default').filter((o) => o.class === 'token' && o.status === StatusCode.Running && !o.signal.aborted && typeof o.metadata?.secret === 'string');
  }

  /**
   * Redeems a token: the matching running operation is consumed (cancelled) whether or not it has
   * expired, as in LXD. Returns the request stored with it; 403 when no operation matches.
   */
  async redeem(token: CertificateAddToken, now = Date.now()): Promise<CertificatesPost> {
    const op = this.pending().find((o) => sameSecret(o.metadata?.secret as string, token.secret));
    if (!op) throw ApiError.forbidden('No matching certificate add operation found');
    const md = op.metadata as unknown as CertificateTokenMetadata;
    // cancel() aborts the signal before its first await, so a concurrent redeem no longer finds it.
    await op.cancel();
    if (md.expiresAt && Date.parse(md.expiresAt) < now) throw ApiError.forbidden('Token has expired');
    return md.request;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
