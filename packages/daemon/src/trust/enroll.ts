// POST /1.0/certificates: who may add which certificate (LXD's certificatesPost, step by step).
import type { CertificatesPost, CertificateType } from '@lodge/api';
import { ApiError, decodeCertificateAddToken } from '@lodge/api';
import type { LifecycleOptions } from '../events/hub.js';
import type { Operation } from '../operations/operation.js';
import { commonName, parseCertificate } from './certificates.js';
import type { TrustService } from './service.js';
import type { CertificateTokens } from './tokens.js';

/** The caller as the trust decision saw it. */
export interface Enrollee {
  trusted: boolean;
  /** Trusted and unrestricted. */
  admin: boolean;
  /** DER of the TLS peer certificate; undefined off TLS or without one. */
  peer?: Buffer;
  /** True for HTTPS callers. */
  tls: boolean;
  /** Remote host, the name of last resort. */
  host: string;
}

export interface EnrollDeps {
  trust: TrustService;
  tokens: CertificateTokens;
  checkPassword(password: string): Promise<boolean>;
  /** HTTPS listen addresses; empty when the server is not on the network. */
  addresses(): string[];
  /** core.remote_token_expiry, when set. */
  tokenExpiry(): Promise<string | undefined>;
}

export type EnrollResult = { kind: 'added'; fingerprint: string } | { kind: 'token'; op: Operation };

export class Enrollment {
  constructor(private readonly d: EnrollDeps) {}

  /** Adds trust for the caller or the certificate it sends, or issues a token (LXD's certificatesPost). */
  enroll(caller: Enrollee, body: CertificatesPost, lc: LifecycleOptions): Promise<EnrollResult> {
    return enroll(this.d, caller, body, lc);
  }
}

async function enroll(d: EnrollDeps, caller: Enrollee, body: CertificatesPost, lc: LifecycleOptions): Promise<EnrollResult> {
  let req: CertificatesPost = { ...body, type: body.type || 'client' };
  if (req.token && req.certificate) throw ApiError.badRequest("Can't use certificate if token is requested");
  if (req.token) {
    if (req.type !== 'client') throw ApiError.badRequest('Tokens can only be issued for client certificates');
    if (d.addresses().length === 0) throw ApiError.badRequest("Can't issue token when server isn't listening on network");
  }
  if (caller.trusted && !req.certificate && !req.token) throw ApiError.badRequest('Client is already trusted');

  if (!caller.admin) {
    if (req.token || !req.password) throw ApiError.forbidden();
    const token = decodeCertificateAddToken(req.password);
    if (token) {
      // The token's request decides everything; the caller may not override any of it.
      const granted = await d.tokens.redeem(token);
      req = { name: granted.name ?? '', type: granted.type || 'client', restricted: granted.restricted ?? false, projects: granted.projects ?? [] };
    } else if (!(await d.checkPassword(req.password))) {
      throw ApiError.forbidden();
    }
  }

  if (req.token) {
    await d.trust.checkProjects(req.projects ?? []);
    const expiry = await d.tokenExpiry();
    return { kind: 'token', op: d.tokens.issue(req, d.addresses(), expiry) };
  }

  let cert;
  if (req.certificate) cert = parseCertificate(req.certificate);
  else if (!caller.tls) throw ApiError.badRequest("Can't use TLS data on non-TLS link");
  else if (!caller.peer) throw ApiError.badRequest('No client certificate provided');
  else cert = parseCertificate(caller.peer.toString('base64'));

  const fingerprint = await d.trust.add(
    {
      cert,
      name: req.name || commonName(cert) || caller.host,
      type: req.type as CertificateType,
      restricted: req.restricted ?? false,
      projects: req.projects ?? [],
    },
    lc,
  );
  return { kind: 'added', fingerprint };
}
