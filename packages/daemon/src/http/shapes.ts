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
export const instancesPost: Shape = {
  name: 'string',
  description: 'string',
  architecture: 'string',
  config: 'stringMap',
  devices: 'devices',
  profiles: 'stringList',
  ephemeral: 'bool',
  stateful: 'bool',
  type: 'string',
  instance_type: 'string',
  source: {
    type: 'string',
    alias: 'string',
    fingerprint: 'string',
    properties: 'stringMap',
    server: 'string',
    protocol: 'string',
    certificate: 'string',
    secret: 'string',
    mode: 'string',
    operation: 'string',
    secrets: 'stringMap',
    source: 'string',
    'base-image': 'string',
    live: 'bool',
    instance_only: 'bool',
    container_only: 'bool',
    refresh: 'bool',
    project: 'string',
    allow_inconsistent: 'bool',
  },
};
export const instancePut: Shape = {
  architecture: 'string',
  config: 'stringMap',
  devices: 'devices',
  profiles: 'stringList',
  ephemeral: 'bool',
  stateful: 'bool',
  description: 'string',
  restore: 'string',
};
export const instancePost: Shape = {
  name: 'string',
  migration: 'bool',
  live: 'bool',
  instance_only: 'bool',
  container_only: 'bool',
  pool: 'string',
  project: 'string',
  allow_inconsistent: 'bool',
  target: { certificate: 'string', operation: 'string', secrets: 'stringMap' },
};
export const instanceStatePut: Shape = { action: 'string', timeout: 'int', force: 'bool', stateful: 'bool' };
export const instanceExecPost: Shape = {
  command: 'stringList',
  environment: 'stringMap',
  interactive: 'bool',
  'wait-for-websocket': 'bool',
  'record-output': 'bool',
  width: 'int',
  height: 'int',
  user: 'int',
  group: 'int',
  cwd: 'string',
};
export const instanceConsolePost: Shape = { type: 'string', width: 'int', height: 'int' };
export const snapshotsPost: Shape = { name: 'string', stateful: 'bool', expires_at: 'string' };
export const snapshotPut: Shape = { expires_at: 'string' };
export const snapshotPost: Shape = { name: 'string', migration: 'bool', live: 'bool', target: 'any' };
export const aliasesPost: Shape = { name: 'string', description: 'string', target: 'string', type: 'string' };
export const aliasPut: Shape = { description: 'string', target: 'string' };
