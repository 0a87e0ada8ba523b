// Trust store entries for TLS clients.
export interface CertificatePut {
  name: string;
  type: 'client' | 'metrics' | 'server';
  restricted: boolean;
  projects: string[];
  certificate: string;
}

export interface Certificate extends CertificatePut {
  fingerprint: string;
}

export interface CertificatesPost extends Partial<CertificatePut> {
  password?: string;
  token?: boolean;
}

export interface CertificateAddToken {
  client_name: string;
  fingerprint: string;
  addresses: string[];
  secret: string;
  expires_at?: string;
}
