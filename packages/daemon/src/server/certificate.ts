// The server's TLS certificate, created at first start in DIR/server.crt and DIR/server.key (0600) with
// LXD's shape: EC P-384, ecdsa-with-SHA384, CN root@<host>, SANs for the host name, 127.0.0.1 and ::1,
// KeyUsage digitalSignature+keyEncipherment, EKU serverAuth, CA:FALSE, ten years.
import { X509Certificate, createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { certificateArgs, generatePrivateKey } from '@lodge/client';
import { exists } from '../sys/fs.js';
import type { Runner } from '../sys/runner.js';

export interface ServerCertificate {
  pem: string;
  keyPem: string;
  fingerprint: string;
}

export async function ensureServerCertificate(runner: Runner, certPath: string, keyPath: string, hostname: string): Promise<ServerCertificate> {
  if (!(await exists(certPath)) || !(await exists(keyPath))) {
    // The key is written 0600 from its first byte; openssl only reads it.
    await rm(keyPath, { force: true });
    await writeFile(keyPath, await generatePrivateKey(), { mode: 0o600, flag: 'wx' });
    await runner.run('openssl', certificateArgs({ kind: 'server', commonName: `root@${hostname}`, dnsNames: [hostname || 'unspecified'], ipAddresses: ['127.0.0.1', '::1'] }, keyPath, certPath));
    await chmod(certPath, 0o644);
  }
  await chmod(keyPath, 0o600);
  const pem = await readFile(certPath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  const fingerprint = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  return { pem, keyPem, fingerprint };
}
