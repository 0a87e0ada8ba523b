// Certificate material: parsing PEM or base64 DER, fingerprints, validity, names (as LXD checks them).
import { X509Certificate, createHash } from 'node:crypto';
import { ApiError } from '@lodge/api';

/** LXD's fingerprint: lowercase hex sha256 of the whole DER certificate. */
export function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/** Parses a certificate given as PEM or as base64 DER (POST /1.0/certificates sends the latter). */
export function parseCertificate(text: string): X509Certificate {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('-----BEGIN')) return new X509Certificate(trimmed);
    if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) throw new Error('not base64');
    return new X509Certificate(Buffer.from(trimmed, 'base64'));
  } catch (e) {
    throw ApiError.badRequest(`Invalid certificate material: ${(e as Error).message}`);
  }
}

/** True while now is inside the certificate's validity window. */
export function isCurrentlyValid(cert: X509Certificate, now = Date.now()): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** LXD's certificateValidate: inside its validity window, RSA keys at least 2048 bits. */
export function validateCertificate(cert: X509Certificate, now = Date.now()): void {
  if (now < Date.parse(cert.validFrom)) throw ApiError.badRequest("The provided certificate isn't valid yet");
  if (now > Date.parse(cert.validTo)) throw ApiError.badRequest('The provided certificate is expired');
  const key = cert.publicKey;
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw ApiError.badRequest('RSA key is too weak (minimum of 2048bit)');
  }
}

/** The subject's common name, '' when it has none. */
export function commonName(cert: X509Certificate): string {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}
