// Trust store calls: list, get, add (certificate, password, token), tokens, update, delete.
import { X509Certificate } from 'node:crypto';
import type { Certificate, CertificateAddToken, CertificatePut, CertificatesPost, CertificateType, Operation } from '@lodge/api';
import { ApiError, certificateAddTokenOf, encodeCertificateAddToken } from '@lodge/api';
import type { LodgeClient } from './client.js';

export interface AddCertificateOptions {
  /** PEM, or base64 DER. */
  certificate: string;
  name?: string;
  type?: CertificateType;
  restricted?: boolean;
  projects?: string[];
}

export interface TokenOptions {
  /** The client name the token is for (required by LXD). */
  name: string;
  restricted?: boolean;
  projects?: string[];
}

export interface PendingToken {
  operationId: string;
  token: CertificateAddToken;
  /** The string to hand to the new client (`lxc remote add <name> <token>`). */
  value: string;
}

const noProject = { withProject: false };

function seg(fp: string): string {
  return encodeURIComponent(fp);
}

/** base64 DER, what POST /1.0/certificates takes, from PEM or base64 DER. */
export function certificateBase64(cert: string): string {
  const t = cert.trim();
  return t.startsWith('-----BEGIN') ? new X509Certificate(t).raw.toString('base64') : t.replace(/\s+/g, '');
}

export class Certificates {
  constructor(private readonly c: LodgeClient) {}

  list(): Promise<Certificate[]> {
    return this.c.query<Certificate[]>('GET', '/1.0/certificates?recursion=1', undefined, noProject).then((r) => r.metadata);
  }

  async get(fingerprint: string): Promise<{ certificate: Certificate; etag?: string }> {
    const r = await this.c.query<Certificate>('GET', `/1.0/certificates/${seg(fingerprint)}`, undefined, noProject);
    return { certificate: r.metadata, etag: r.etag };
  }

  /** Adds a certificate (the caller must be an unrestricted trusted client); returns its fingerprint. */
  async add(o: AddCertificateOptions): Promise<string> {
    const body: CertificatesPost = {
      certificate: certificateBase64(o.certificate),
      name: o.name ?? '',
      type: o.type ?? 'client',
      restricted: o.restricted ?? false,
      projects: o.projects ?? [],
    };
    const r = await this.c.query('POST', '/1.0/certificates', body, noProject);
    return (r.location ?? '').split('/').pop() ?? '';
  }

  /**
   * Asks an untrusted server to trust this client's certificate (the one the TLS connection
   * presents), with the trust password or a certificate add token (`lxc remote add`).
   */
  async trustMe(passwordOrToken: string): Promise<void> {
    await this.c.query('POST', '/1.0/certificates', { type: 'client', password: passwordOrToken }, noProject);
  }

  /** Creates a certificate add token (`lxc config trust add`); the server must listen on the network. */
  async createToken(o: TokenOptions): Promise<PendingToken> {
    const body: CertificatesPost = { name: o.name, type: 'client', restricted: o.restricted ?? false, projects: o.projects ?? [], token: true };
    const r = await this.c.query<Operation>('POST', '/1.0/certificates', body, noProject);
    const pending = pendingToken(r.metadata);
    if (!pending) throw new ApiError(500, 'The server did not return a certificate add token');
    return pending;
  }

  /** Tokens not used yet (`lxc config trust list-tokens`). */
  async tokens(): Promise<PendingToken[]> {
    const groups = await this.c.query<Record<string, Operation[]> | null>('GET', '/1.0/operations?recursion=1', undefined, noProject);
    return Object.values(groups.metadata ?? {})
      .flat()
      .filter((op) => op.class === 'token' && op.status_code === 103)
      .map(pendingToken)
      .filter((t): t is PendingToken => t !== undefined);
  }

  /** Cancels the pending token of a client name (`lxc config trust revoke-token`). */
  async revokeToken(name: string): Promise<void> {
    const t = (await this.tokens()).find((p) => p.token.client_name === name);
    if (!t) throw new ApiError(404, `No certificate add token for ${name}`);
    await this.c.query('DELETE', `/1.0/operations/${encodeURIComponent(t.operationId)}`, undefined, noProject);
  }

  async update(fingerprint: string, put: CertificatePut, etag?: string): Promise<void> {
    await this.c.query('PUT', `/1.0/certificates/${seg(fingerprint)}`, put, { ...noProject, etag });
  }

  async patch(fingerprint: string, patch: Partial<CertificatePut>, etag?: string): Promise<void> {
    await this.c.query('PATCH', `/1.0/certificates/${seg(fingerprint)}`, patch, { ...noProject, etag });
  }

  async delete(fingerprint: string): Promise<void> {
    await this.c.query('DELETE', `/1.0/certificates/${seg(fingerprint)}`, undefined, noProject);
  }
}

function pendingToken(op: Operation): PendingToken | undefined {
  const token = certificateAddTokenOf(op.metadata);
  return token ? { operationId: op.id, token, value: encodeCertificateAddToken(token) } : undefined;
}
