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
export const storagePoolPut: StructShape = struct(...poolPutFields);
export const storagePool: StructShape = struct(
  ...poolPutFields,
  ...fields('string', 'name', 'driver'),
  field('used_by', strList),
  field('status', 'string'),
  field('locations', strList),
);

export const storageVolume: StructShape = struct(
  field('config', strMap),
  field('description', 'string'),
  field('restore', 'string', { omitempty: true }),
  ...fields('string', 'name', 'type'),
  field('used_by', strList),
  ...fields('string', 'location', 'content_type', 'project'),
  field('created_at', 'time'),
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

const instancePutFields: Field[] = [
  field('architecture', 'string'),
  field('config', strMap),
  field('devices', devices),
  field('ephemeral', 'bool'),
  field('profiles', strList),
  field('restore', 'string', { omitempty: true }),
  field('stateful', 'bool'),
  field('description', 'string'),
];
export const instancePut: StructShape = struct(...instancePutFields);

const instanceFields: Field[] = [
  ...instancePutFields,
  field('created_at', 'time'),
  field('expanded_config', strMap, { omitempty: true }),
  field('expanded_devices', devices, { omitempty: true }),
  field('name', 'string'),
  field('status', 'string'),
  field('status_code', 'int'),
  field('last_used_at', 'time'),
  ...fields('string', 'location', 'type', 'project'),
];
export const instance: StructShape = struct(...instanceFields);

const networkAddress = struct(...fields('string', 'family', 'address', 'netmask', 'scope'));
const networkCounters = struct(
  ...fields('int', 'bytes_received', 'bytes_sent', 'packets_received', 'packets_sent', 'errors_received', 'errors_sent', 'packets_dropped_outbound', 'packets_dropped_inbound'),
);
const instanceStateNetwork = struct(
  field('addresses', listOf(networkAddress)),
  field('counters', networkCounters),
  ...fields('string', 'hwaddr', 'host_name'),
  field('mtu', 'int'),
  ...fields('string', 'state', 'type'),
);
export const instanceState: StructShape = struct(
  field('status', 'string'),
  field('status_code', 'int'),
  field('disk', mapOf(struct(field('usage', 'int')))),
  field('memory', struct(...fields('int', 'usage', 'usage_peak', 'swap_usage', 'swap_usage_peak'))),
  field('network', mapOf(instanceStateNetwork)),
  ...fields('int', 'pid', 'processes'),
  field('cpu', struct(field('usage', 'int'))),
);

const instanceBackup = struct(
  field('name', 'string'),
  ...fields('time', 'created_at', 'expires_at'),
  ...fields('bool', 'instance_only', 'container_only', 'optimized_storage'),
);

export const instanceSnapshot: StructShape = struct(
  field('expires_at', 'time'),
  field('architecture', 'string'),
  field('config', strMap),
  field('created_at', 'time'),
  field('devices', devices),
  field('ephemeral', 'bool'),
  field('expanded_config', strMap, { omitempty: true }),
  field('expanded_devices', devices, { omitempty: true }),
  field('last_used_at', 'time'),
  field('name', 'string'),
  field('profiles', strList),
  field('stateful', 'bool'),
  field('size', 'int'),
);

export const instanceFull: StructShape = struct(
  ...instanceFields,
  field('backups', listOf(instanceBackup)),
  field('state', ptrTo(instanceState)),
  field('snapshots', listOf(instanceSnapshot)),
);
