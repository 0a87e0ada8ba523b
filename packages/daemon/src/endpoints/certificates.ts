// Trust store endpoints: list, add (trusted caller, password, token), get, replace, patch, delete.
import type { CertificatePut, CertificatesPost } from '@lodge/api';
import { admin, trusted, untrusted } from '../http/access.js';
import { created, empty, operation, sync } from '../http/reply.js';
import type { Shape } from '../http/shape.js';
import type { ApiRequest, Endpoint } from '../http/types.js';
import type { State } from '../state.js';
import type { Enrollee } from '../trust/enroll.js';
import { etagCheck, lc } from './common.js';

const certificatePut: Shape = { name: 'string', type: 'string', restricted: 'bool', projects: 'stringList', certificate: 'string' };
const certificatesPost: Shape = { ...certificatePut, password: 'string', token: 'bool' };

function isAdmin(req: ApiRequest): boolean {
  return req.identity.trusted && !req.identity.projects;
}

function enrollee(req: ApiRequest): Enrollee {
  const id = req.identity;
  return {
    trusted: id.trusted,
    admin: isAdmin(req),
    tls: id.protocol !== 'unix',
    ...(id.certificate ? { peer: id.certificate } : {}),
    host: id.address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
  };
}

async function update(req: ApiRequest, s: State, patch: boolean) {
  const body = await req.json<Partial<CertificatePut>>(certificatePut);
  // Restricted clients may only renew their own certificate.
  const self = isAdmin(req) ? undefined : req.identity.username;
  await s.trust.update(req.param('fingerprint'), body, { patch, etag: etagCheck(req), lc: lc(req), ...(self !== undefined ? { self } : {}) });
  return empty();
}

export const certificateEndpoints: Endpoint[] = [
  {
    path: '/1.0/certificates',
    anyProject: true,
    get: {
      access: trusted,
      handle: async (req, s) => {
        const list = await s.trust.list();
        return sync(req.recursion > 0 ? list : list.map((c) => `/1.0/certificates/${c.fingerprint}`));
      },
    },
    post: {
      access: untrusted,
      handle: async (req, s) => {
        const body = await req.json<CertificatesPost>(certificatesPost);
        const result = await s.enrollment.enroll(enrollee(req), body, lc(req));
        if (result.kind === 'token') return operation(result.op);
        return created(`/1.0/certificates/${result.fingerprint}`);
      },
    },
  },
  {
    path: '/1.0/certificates/{fingerprint}',
    anyProject: true,
    get: {
      access: trusted,
      handle: async (req, s) => {
        const { certificate, etag } = await s.trust.get(req.param('fingerprint'));
        return sync(certificate, { etag });
      },
    },
    put: { access: trusted, handle: (req, s) => update(req, s, false) },
    patch: { access: trusted, handle: (req, s) => update(req, s, true) },
    delete: {
      access: admin,
      handle: async (req, s) => {
        await s.trust.delete(req.param('fingerprint'), lc(req));
        return empty();
      },
    },
  },
];
