// Trust store: the certificates allowed over HTTPS (kv collection "certificates", scope "-"), with an
// in-memory index for the per-request trust decision and change notifications for listeners.
import type { X509Certificate } from 'node:crypto';
import type { Certificate, CertificatePut, CertificateType } from '@lodge/api';
import { ApiError, certificateTypes } from '@lodge/api';
import type { CertificateRecord } from '../db/records.js';
import { globalScope, type Store, type Tx } from '../db/store.js';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import { etagOf } from '../util/etag.js';
import { fingerprintOf, isCurrentlyValid, parseCertificate, toPem, validateCertificate } from './certificates.js';

/** What the trust store says about a peer certificate. */
export interface TrustMatch {
  fingerprint: string;
  name: string;
  type: CertificateType;
  /** Projects a restricted certificate may use; undefined when unrestricted. */
  projects?: string[];
}

export interface NewCertificate {
  cert: X509Certificate;
  name: string;
  type: CertificateType;
  restricted: boolean;
  projects: string[];
}

interface Entry {
  record: CertificateRecord;
  cert: X509Certificate;
}

export class TrustService {
  private entries = new Map<string, Entry>();
  private readonly changed: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly events: EventHub,
  ) {}

  /** Reads the trust store into memory (at start; every change reloads it). */
  async load(): Promise<void> {
    const records = await this.store.read((tx) => tx.certificates.list(globalScope));
    const next = new Map<string, Entry>();
    for (const record of records) {
      try {
        next.set(record.fingerprint, { record, cert: parseCertificate(record.certificate) });
      } catch {
        // A record that does not parse trusts nobody; it stays listed so it can be removed.
      }
    }
    this.entries = next;
    for (const fn of this.changed) fn();
  }

  /** Called after every change of the trust store (listeners re-check open connections). */
  onChanged(fn: () => void): void {
    this.changed.push(fn);
  }

  /**
   * The per-request trust decision: the entry whose DER equals the peer certificate byte for byte,
   * while the certificate is inside its validity window.
   */
  match(peer: Buffer, fingerprint = fingerprintOf(peer), now = Date.now()): TrustMatch | undefined {
    const e = this.entries.get(fingerprint);
    if (!e || !e.cert.raw.equals(peer) || !isCurrentlyValid(e.cert, now)) return undefined;
    const r = e.record;
    return { fingerprint: r.fingerprint, name: r.name, type: r.type, ...(r.restricted ? { projects: [...r.projects] } : {}) };
  }

  async list(): Promise<Certificate[]> {
    const records = await this.store.read((tx) => tx.certificates.list(globalScope));
    return records.sort((a, b) => a.name.localeCompare(b.name) || a.fingerprint.localeCompare(b.fingerprint)).map(toApi);
  }

  async get(prefix: string): Promise<{ certificate: Certificate; etag: string }> {
    const rec = await this.store.read((tx) => this.resolve(tx, prefix));
    const certificate = toApi(rec);
    return { certificate, etag: etagOf(certificate) };
  }

  /** 404 naming the first project that does not exist (checked again when a token is redeemed). */
  async checkProjects(projects: string[]): Promise<void> {
    await this.store.read((tx) => checkProjects(tx, projects));
  }

  /** Adds a certificate (409 when it is already trusted); returns its fingerprint. */
  async add(c: NewCertificate, lc: LifecycleOptions): Promise<string> {
    validateCertificate(c.cert);
    checkType(c.type);
    const fingerprint = fingerprintOf(c.cert.raw);
    await this.store.tx(async (tx) => {
      await checkProjects(tx, c.projects);
      if ((await this.byPrefix(tx, fingerprint)).length > 0) throw ApiError.conflict('Certificate already in trust store');
      tx.certificates.put(globalScope, fingerprint, {
        fingerprint,
        name: c.name,
        type: c.type,
        restricted: c.restricted,
        projects: [...new Set(c.projects)],
        certificate: toPem(c.cert.raw),
      });
    });
    await this.load();
    this.events.lifecycle('default', 'certificate-created', `/1.0/certificates/${fingerprint}`, lc);
    return fingerprint;
  }

  /**
   * PUT (whole writable set) or PATCH (given fields). `self` is set for a caller that is not an
   * admin: it may only replace its own certificate, nothing else (LXD's certificate_self_renewal).
   */
  async update(
    prefix: string,
    put: Partial<CertificatePut>,
    opts: { patch: boolean; etag?: (current: string) => void; lc: LifecycleOptions; self?: string },
  ): Promise<void> {
    let fingerprint = '';
    await this.store.tx(async (tx) => {
      const cur = await this.resolve(tx, prefix);
      fingerprint = cur.fingerprint;
      opts.etag?.(etagOf(toApi(cur)));
      const base: CertificatePut = opts.patch ? toApi(cur) : { name: '', type: 'client', restricted: false, projects: [], certificate: '' };
      const want: CertificatePut = {
        name: put.name ?? base.name,
        type: put.type || base.type,
        restricted: put.restricted ?? base.restricted,
        projects: put.projects ?? base.projects,
        certificate: put.certificate ?? base.certificate,
      };
      if (opts.self !== undefined) checkSelfUpdate(cur, want, opts.self);
      checkType(want.type);
      await checkProjects(tx, want.projects);
      const next: CertificateRecord = { ...cur, name: want.name, type: want.type, restricted: want.restricted, projects: [...new Set(want.projects)] };
      if (want.certificate !== '' && want.certificate.trim() !== cur.certificate.trim()) {
        const cert = parseCertificate(want.certificate);
        validateCertificate(cert);
        next.fingerprint = fingerprintOf(cert.raw);
        next.certificate = toPem(cert.raw);
      }
      if (next.fingerprint !== cur.fingerprint) {
        if (await tx.certificates.exists(globalScope, next.fingerprint)) throw ApiError.conflict('Certificate already in trust store');
        await tx.certificates.delete(globalScope, cur.fingerprint);
      }
      tx.certificates.put(globalScope, next.fingerprint, next);
    });
    await this.load();
    this.events.lifecycle('default', 'certificate-updated', `/1.0/certificates/${fingerprint}`, opts.lc);
  }

  async delete(prefix: string, lc: LifecycleOptions): Promise<void> {
    let fingerprint = '';
    await this.store.tx(async (tx) => {
      fingerprint = (await this.resolve(tx, prefix)).fingerprint;
      await tx.certificates.delete(globalScope, fingerprint);
    });
    await this.load();
    this.events.lifecycle('default', 'certificate-deleted', `/1.0/certificates/${fingerprint}`, lc);
  }

  /** A record by fingerprint prefix (404 when none, 400 when several match). */
  private async resolve(tx: Tx, prefix: string): Promise<CertificateRecord> {
    const found = await this.byPrefix(tx, prefix.toLowerCase());
    if (found.length === 0) throw ApiError.notFound('Certificate not found');
    if (found.length > 1) throw ApiError.badRequest('More than one certificate matches');
    return found[0]!;
  }

  private async byPrefix(tx: Tx, prefix: string): Promise<CertificateRecord[]> {
    if (prefix === '') return [];
    return (await tx.certificates.list(globalScope)).filter((r) => r.fingerprint.startsWith(prefix));
  }
}

export function toApi(r: CertificateRecord): Certificate {
  return { name: r.name, type: r.type, restricted: r.restricted, projects: [...r.projects], certificate: r.certificate, fingerprint: r.fingerprint };
}

function checkType(type: string): void {
  if (!certificateTypes.includes(type as CertificateType)) throw ApiError.badRequest(`Unknown certificate type "${type}"`);
}

async function checkProjects(tx: Tx, projects: string[]): Promise<void> {
  for (const p of projects) {
    if (!(await tx.projects.exists(globalScope, p))) throw ApiError.notFound(`Project "${p}" not found`);
  }
}

/** A non-admin may renew its own certificate and change nothing else. */
function checkSelfUpdate(cur: CertificateRecord, want: CertificatePut, callerFingerprint: string): void {
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (want.name !== cur.name || want.type !== cur.type || want.restricted !== cur.restricted || !same(want.projects, cur.projects)) {
    throw ApiError.forbidden('Only the certificate can be changed');
  }
  if (cur.fingerprint !== callerFingerprint) throw ApiError.forbidden('Certificate cannot be changed');
}
