// All endpoint tables, in one list for the router.
import type { Endpoint } from '../http/types.js';
import { eventEndpoints } from './events.js';
import { imageAliasEndpoints } from './image-aliases.js';
import { imageEndpoints } from './images.js';
import { operationEndpoints } from './operations.js';
import { profileEndpoints } from './profiles.js';
import { projectEndpoints } from './projects.js';
import { serverEndpoints } from './server.js';
import { storagePoolEndpoints } from './storage-pools.js';

export const endpoints: Endpoint[] = [
  ...serverEndpoints,
  ...eventEndpoints,
  ...operationEndpoints,
  ...imageEndpoints,
  ...imageAliasEndpoints,
  ...profileEndpoints,
  ...projectEndpoints,
  ...storagePoolEndpoints,
];
