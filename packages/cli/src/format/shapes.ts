// Field layouts of the LXD 5.0 Go structs that lxc prints (shared/api), in declaration order.
import { field, fields, listOf, mapOf, ptrTo, struct, type Field, type StructShape } from './gotypes.js';

const strMap = mapOf('string');
const strList = listOf('string');
const devices = mapOf(strMap);

const imagePutFields: Field[] = [
  field('auto_update', 'bool'),
  field('properties', strMap),
  field('public', 'bool'),
  field('expires_at', 'time'),
  field('profiles', strList),
];

export const imagePut: StructShape = struct(...imagePutFields);

const imageAlias = struct(...fields('string', 'name', 'description'));
const imageSource = struct(...fields('string', 'alias', 'certificate', 'protocol', 'server', 'image_type'));

export const image: StructShape = struct(
  ...imagePutFields,
  field('aliases', listOf(imageAlias)),
  field('architecture', 'string'),
  field('cached', 'bool'),
  field('filename', 'string'),
  field('fingerprint', 'string'),
  field('size', 'int'),
  field('update_source', ptrTo(imageSource), { omitempty: true }),
  field('type', 'string'),
  field('created_at', 'time'),
  field('last_used_at', 'time'),
  field('uploaded_at', 'time'),
);

export const imageAliasesEntry: StructShape = struct(...fields('string', 'description', 'target', 'name', 'type'));

const profilePutFields: Field[] = [field('config', strMap), field('description', 'string'), field('devices', devices)];
export const profilePut: StructShape = struct(...profilePutFields);
export const profile: StructShape = struct(...profilePutFields, field('name', 'string'), field('used_by', strList));

const projectPutFields: Field[] = [field('config', strMap), field('description', 'string')];
export const projectPut: StructShape = struct(...projectPutFields);
export const project: StructShape = struct(...projectPutFields, field('name', 'string'), field('used_by', strList));

export const projectState: StructShape = struct(
  field('resources', mapOf(struct(field('Limit', 'int', { yaml: 'limit' }), field('Usage', 'int', { yaml: 'usage' })))),
);

export const operation: StructShape = struct(
  ...fields('string', 'id', 'class', 'description'),
  ...fields('time', 'created_at', 'updated_at'),
  field('status', 'string'),
  field('status_code', 'int'),
  field('resources', mapOf(strList)),
  field('metadata', mapOf('any')),
  field('may_cancel', 'bool'),
  ...fields('string', 'err', 'location'),
);

const poolPutFields: Field[] = [field('config', strMap), field('description', 'string')];
export const storagePool: StructShape = struct(
  ...poolPutFields,
  ...fields('string', 'name', 'driver'),
  field('used_by', strList),
  field('status', 'string'),
  field('locations', strList),
);

export const storagePoolResources: StructShape = struct(
  field('space', struct(field('used', 'int', { omitempty: true }), field('total', 'int')), { omitempty: true }),
  field('inodes', struct(field('used', 'int'), field('total', 'int')), { omitempty: true }),
);

export const serverPut: StructShape = struct(field('config', mapOf('any')));

const storageDriverInfo = struct(
  field('Name', 'string', { yaml: 'name' }),
  field('Version', 'string', { yaml: 'version' }),
  field('Remote', 'bool', { yaml: 'remote' }),
);

const serverEnvironment = struct(
  ...fields(strList, 'addresses', 'architectures'),
  ...fields('string', 'certificate', 'certificate_fingerprint', 'driver', 'driver_version', 'firewall', 'kernel', 'kernel_architecture'),
  field('kernel_features', strMap),
  field('kernel_version', 'string'),
  field('lxc_features', strMap),
  ...fields('string', 'os_name', 'os_version', 'project', 'server'),
  field('server_clustered', 'bool'),
  ...fields('string', 'server_event_mode', 'server_name'),
  field('server_pid', 'int'),
  ...fields('string', 'server_version', 'storage', 'storage_version'),
  field('storage_supported_drivers', listOf(storageDriverInfo)),
);

export const server: StructShape = struct(
  field('config', mapOf('any')),
  field('api_extensions', strList),
  ...fields('string', 'api_status', 'api_version', 'auth'),
  field('public', 'bool'),
  field('auth_methods', strList),
  field('environment', serverEnvironment),
);
