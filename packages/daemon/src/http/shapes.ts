// Shapes of the request bodies the endpoints accept (see shape.ts).
import type { Shape } from './shape.js';

export const serverPut: Shape = { config: 'any' };
export const profilesPost: Shape = { name: 'string', description: 'string', config: 'stringMap', devices: 'devices' };
export const profilePut: Shape = { description: 'string', config: 'stringMap', devices: 'devices' };
export const namePost: Shape = { name: 'string' };
export const projectsPost: Shape = { name: 'string', description: 'string', config: 'stringMap' };
export const projectPut: Shape = { description: 'string', config: 'stringMap' };
export const imagePut: Shape = { auto_update: 'bool', properties: 'stringMap', public: 'bool', expires_at: 'string', profiles: 'stringList' };
export const imagesPost: Shape = {
  filename: 'string',
  public: 'bool',
  auto_update: 'bool',
  properties: 'stringMap',
  expires_at: 'string',
  profiles: 'stringList',
  compression_algorithm: 'string',
  aliases: 'any',
  source: { type: 'string', mode: 'string', server: 'string', protocol: 'string', alias: 'string', fingerprint: 'string', secret: 'string', certificate: 'string', name: 'string', url: 'string', project: 'string' },
};
export const aliasesPost: Shape = { name: 'string', description: 'string', target: 'string', type: 'string' };
export const aliasPut: Shape = { description: 'string', target: 'string' };
