// TLS helpers: LXD-shaped certificates (EC P-384, made with openssl), fetching a server's certificate
// for the fingerprint prompt, and the connect options that pin a server certificate.
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, generateKeyPair } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const generateKeyPairP = promisify(generateKeyPair);

export interface CertificateSpec {
  /** server: EKU serverAuth and SANs; client: EKU clientAuth, no SAN (as `lxc` makes them). */
  kind: 'server' | 'client';
  /** Subject CN; LXD uses "<user>@<host>". */
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Validity in days (LXD: ten years). */
  days?: number;
}

export interface CertificatePair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (SEC1 "EC PRIVATE KEY", as LXD writes it). */
  key: string;
}

/** LXD's fingerprint: lowercase hex sha256 of the DER certificate. */
export function certificateFingerprint(cert: string | Buffer | X509Certificate): string {
  const der = cert instanceof X509Certificate ? cert.raw : typeof cert === 'string' ? new X509Certificate(cert).raw : cert;
  return createHash('sha256').update(der).digest('hex');
}

/** "<user>@<host>", the common name LXD gives its certificates. */
export function defaultCommonName(): string {
  let user = 'UNKNOWN';
  try {
    user = userInfo().username || 'UNKNOWN';
  } catch {
    /* no passwd entry */
  }
  return `${user}@${hostname() || 'UNKNOWN'}`;
}

/**
 * Arguments for `openssl req` that self-sign an existing key the way LXD does: ecdsa-with-SHA384,
 * O=linuxcontainers.org, KeyUsage digitalSignature+keyEncipherment, CA:FALSE, EKU by kind. The
 * config is /dev/null so the host's openssl.cnf adds nothing.
 */
export function certificateArgs(spec: CertificateSpec, keyPath: string, certPath: string): string[] {
  const cn = spec.commonName.replace(/[/\\]/g, '_');
  const args = ['req', '-new', '-x509', '-config', '/dev/null', '-key', keyPath, '-out', certPath, '-sha384', '-days', String(spec.days ?? 3650)];
  args.push('-subj', `/O=linuxcontainers.org/CN=${cn}`);
  args.push('-addext', 'keyUsage=critical,digitalSignature,keyEncipherment');
  args.push('-addext', `extendedKeyUsage=${spec.kind === 'server' ? 'serverAuth' : 'clientAuth'}`);
  args.push('-addext', 'basicConstraints=critical,CA:FALSE');
  const sans = [...(spec.dnsNames ?? []).map((n) => `DNS:${n}`), ...(spec.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  if (sans.length > 0) args.push('-addext', `subjectAltName=${sans.join(',')}`);
  return args;
}

/** A new EC P-384 private key (PEM, SEC1). */
export async function generatePrivateKey(): Promise<string> {
  const { privateKey } = await generateKeyPairP('ec', {
    namedCurve: 'secp384r1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  });
  return privateKey;
}

/** Generates a key and a self-signed certificate for it (runs openssl in a private temp dir). */
export async function generateCertificate(spec: CertificateSpec): Promise<CertificatePair> {
  const key = await generatePrivateKey();
  const dir = await mkdtemp(join(tmpdir(), 'lodge-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await writeFile(keyPath, key, { mode: 0o600 });
    await execFileP('openssl', certificateArgs(spec, keyPath, certPath));
    return { cert: await readFile(certPath, 'utf8'), key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The client certificate in a config dir (client.crt / client.key, as `lxc` keeps it), created on
 * first use with the key readable by its owner only.
 */
export async function ensureClientCertificate(dir: string): Promise<CertificatePair> {
  const certPath = join(dir, 'client.crt');
  const keyPath = join(dir, 'client.key');
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const pair = await generateCertificate({ kind: 'client', commonName: defaultCommonName() });
  await writeFile(keyPath, pair.key, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(certPath, pair.cert, { mode: 0o644 });
  return pair;
}

export interface RemoteCertificate {
  pem: string;
  fingerprint: string;
  certificate: X509Certificate;
}

/** host and port of an https URL or a bare "host[:port]" (default port 8443, as LXD). */
export function hostPort(address: string): { host: string; port: number } {
  const u = new URL(/^[a-z]+:\/\//.test(address) ? address : `https://${address}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 8443) };
}

/**
 * Downloads the certificate a server presents, without verifying it (no client certificate is
 * sent), for the "Certificate fingerprint: ... ok (y/n)?" confirmation before it gets pinned.
 */
export function fetchServerCertificate(address: string, timeoutMs = 10_000): Promise<RemoteCertificate> {
  const { host, port } = hostPort(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => socket.destroy(new Error(`Timed out connecting to ${host}:${port}`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (!cert) reject(new Error(`${host}:${port} presented no certificate`));
      else resolve({ pem: cert.toString(), fingerprint: certificateFingerprint(cert), certificate: cert });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** TLS material for a connection to an LXD-compatible server. */
export interface TlsOptions {
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  /**
   * Pinned server certificate (PEM), or a CA. A certificate that is not a CA is pinned: the server
   * must present exactly it, whatever names it carries (as `lxc` does with servercerts/). Without
   * it the system CAs and the usual host name check apply.
   */
  ca?: string;
  /** Skip verification entirely (only to fetch a certificate for fingerprint confirmation). */
  insecure?: boolean;
}

/** node:tls options (also taken by https.request and ws) for these TLS settings. */
export function tlsConnectOptions(tls: TlsOptions): ConnectionOptions {
  const out: ConnectionOptions = { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: !tls.insecure, minVersion: 'TLSv1.2' };
  const pinned = tls.ca ? pinnedCertificate(tls.ca) : undefined;
  if (pinned) {
    out.checkServerIdentity = (_host: string, cert: PeerCertificate) =>
      cert.raw.equals(pinned.raw) ? undefined : new Error(`The server certificate (${certificateFingerprint(cert.raw)}) is not the pinned one (${certificateFingerprint(pinned)})`);
  }
  return out;
}

function pinnedCertificate(pem: string): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(pem);
    return cert.ca ? undefined : cert;
  } catch {
    return undefined;
  }
}
