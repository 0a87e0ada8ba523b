// API extensions lodged advertises: only names whose feature works end to end (append as features land).
import { sortExtensions } from '@lodge/api';

const core = [
  'etag',
  'patch',
  'entity_description',
  'operation_description',
  'event_lifecycle',
  'event_location',
  'event_project',
  'event_lifecycle_requestor_address',
  'api_os',
  'kernel_features',
  'lxc_features',
  'server_supported_storage_drivers',
];

const images = ['api_filtering', 'image_types', 'image_profiles', 'images_expiry'];

const profilesAndProjects = ['profile_usedby', 'projects', 'usedby_consistency'];

const storage = ['storage'];

export const supportedExtensions: string[] = sortExtensions([...core, ...images, ...profilesAndProjects, ...storage]);
