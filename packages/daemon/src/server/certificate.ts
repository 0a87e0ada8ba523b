// The server's TLS certificate: EC P-384, self-signed, created at first start (DIR/server.crt, server.key).
import { X509Certificate, createHash } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { exists } from '../sys/fs.js';
import type { Runner } from '../sys/runner.js';

export interface ServerCertificate {
  pem: string;
  keyPem: string;
  fingerprint: string;
}

export async function ensureServerCertificate(runner: Runner, certPath: string, keyPath: string, hostname: string): Promise<ServerCertificate> {
  if (!(await exists(certPath)) || !(await exists(keyPath))) {
    await runner.run('openssl', [
      'req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-sha384',
      '-days', '3650', '-keyout', keyPath, '-out', certPath,
      '-subj', `/O=Lodge/CN=root@${hostname}`,
      '-addext', `subjectAltName=DNS:${hostname},IP:127.0.0.1,IP:::1`,
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext', 'extendedKeyUsage=serverAuth',
      '-addext', 'basicConstraints=critical,CA:FALSE',
    ]);
    await chmod(keyPath, 0o600);
    await chmod(certPath, 0o644);
  }
  const pem = await readFile(certPath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  const fingerprint = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  return { pem, keyPem, fingerprint };
}
