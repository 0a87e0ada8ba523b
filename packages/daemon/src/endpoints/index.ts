// All endpoint tables, in one list for the router.
import type { Endpoint } from '../http/types.js';
import { certificateEndpoints } from './certificates.js';
import { eventEndpoints } from './events.js';
import { instanceFileEndpoints } from './instance-files.js';
import { instanceBackupEndpoints } from './instance-backups.js';
import { instanceRuntimeEndpoints } from './instance-runtime.js';
import { instanceSnapshotEndpoints } from './instance-snapshots.js';
import { instanceEndpoints } from './instances.js';
import { internalEndpoints } from './internal.js';
import { networkEndpoints } from './networks.js';
import { imageAliasEndpoints } from './image-aliases.js';
import { imageEndpoints } from './images.js';
import { operationEndpoints } from './operations.js';
import { profileEndpoints } from './profiles.js';
import { projectEndpoints } from './projects.js';
import { resourceEndpoints } from './resources.js';
import { serverEndpoints } from './server.js';
import { storagePoolEndpoints } from './storage-pools.js';

/** Every /1.0/instances route is also served under /1.0/containers and /1.0/virtual-machines (LXD's legacy names). */
function withLegacyAliases(list: Endpoint[]): Endpoint[] {
  const out = [...list];
  for (const e of list) {
    if (!e.path.startsWith('/1.0/instances')) continue;
    for (const prefix of ['/1.0/containers', '/1.0/virtual-machines']) out.push({ ...e, path: e.path.replace('/1.0/instances', prefix) });
  }
  return out;
}

export const endpoints: Endpoint[] = withLegacyAliases([
  ...serverEndpoints,
  ...certificateEndpoints,
  ...eventEndpoints,
  ...operationEndpoints,
  ...imageEndpoints,
  ...imageAliasEndpoints,
  ...profileEndpoints,
  ...projectEndpoints,
  ...storagePoolEndpoints,
  ...networkEndpoints,
  ...resourceEndpoints,
  ...instanceEndpoints,
  ...instanceRuntimeEndpoints,
  ...instanceFileEndpoints,
  ...instanceSnapshotEndpoints,
  ...instanceBackupEndpoints,
  ...internalEndpoints,
]);
