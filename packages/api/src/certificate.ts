// Trust store entries for TLS clients, and the certificate add token `lxc config trust add` prints.
import { zeroTime } from './time.js';

export type CertificateType = 'client' | 'metrics' | 'server';

export const certificateTypes: readonly CertificateType[] = ['client', 'metrics', 'server'];

export interface CertificatePut {
  name: string;
  type: CertificateType;
  restricted: boolean;
  projects: string[];
  /** PEM when read from the server; POST takes base64 DER (as LXD). */
  certificate: string;
}

export interface Certificate extends CertificatePut {
  fingerprint: string;
}

export interface CertificatesPost extends Partial<CertificatePut> {
  /** Trust password or certificate add token (untrusted callers). */
  password?: string;
  /** Ask for a certificate add token operation instead of adding a certificate. */
  token?: boolean;
}

export interface CertificateAddToken {
  client_name: string;
  fingerprint: string;
  addresses: string[];
  secret: string;
  /** LXD always sends it: Go's zero time when the token does not expire. */
  expires_at?: string;
}

/** Metadata of a token operation (class "token") created by POST /1.0/certificates {token: true}. */
export interface CertificateTokenMetadata {
  secret: string;
  fingerprint: string;
  addresses: string[];
  request: CertificatesPost;
  /** Present when core.remote_token_expiry is set. */
  expiresAt?: string;
}

/** base64(JSON) with LXD's field order; expires_at is Go's zero time when unset. */
export function encodeCertificateAddToken(t: CertificateAddToken): string {
  const json = JSON.stringify({
    client_name: t.client_name,
    fingerprint: t.fingerprint,
    addresses: t.addresses,
    secret: t.secret,
    expires_at: t.expires_at || zeroTime,
  });
  return Buffer.from(json).toString('base64');
}

/** Decodes a token string; undefined when it is not a complete certificate add token (LXD's checks). */
export function decodeCertificateAddToken(input: string): CertificateAddToken | undefined {
  const text = input.trim();
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const t = raw as Partial<Record<keyof CertificateAddToken, unknown>>;
  if (typeof t.client_name !== 'string' || t.client_name === '') return undefined;
  if (typeof t.secret !== 'string' || t.secret === '') return undefined;
  if (typeof t.fingerprint !== 'string' || t.fingerprint === '') return undefined;
  if (!Array.isArray(t.addresses) || t.addresses.length === 0 || !t.addresses.every((a) => typeof a === 'string')) return undefined;
  const token: CertificateAddToken = { client_name: t.client_name, fingerprint: t.fingerprint, addresses: t.addresses as string[], secret: t.secret };
  if (typeof t.expires_at === 'string') token.expires_at = t.expires_at;
  return token;
}

/** The add token a token operation stands for (as `lxc config trust add` builds it); undefined for other operations. */
export function certificateAddTokenOf(metadata: Record<string, unknown> | null | undefined): CertificateAddToken | undefined {
  const md = metadata as Partial<CertificateTokenMetadata> | null | undefined;
  const name = md?.request?.name;
  if (!md || typeof name !== 'string' || typeof md.secret !== 'string' || typeof md.fingerprint !== 'string' || !Array.isArray(md.addresses)) {
    return undefined;
  }
  const token: CertificateAddToken = { client_name: name, fingerprint: md.fingerprint, addresses: md.addresses, secret: md.secret };
  if (typeof md.expiresAt === 'string') token.expires_at = md.expiresAt;
  return token;
}
