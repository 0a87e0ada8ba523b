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

const profilesAndProjects = ['profile_usedby', 'projects', 'usedby_consistency', 'project_usage', 'projects_limits_instances'];

const storage = ['storage'];

const instances = [
  'instances',
  'container_full',
  'instance_get_full',
  'container_last_used_at',
  'container_cpu_time',
  'container_exec_recording',
  'container_exec_signal_handling',
  'container_exec_user_group_cwd',
  'console',
  'directory_manipulation',
  'file_delete',
  'file_append',
  'file_symlinks',
  'file_get_symlink',
  'instance_file_head',
  'container_image_properties',
  'id_map',
  'id_map_base',
  'id_map_current',
  'container_stop_priority',
  'container_host_shutdown_timeout',
  'container_protection_delete',
  'container_syscall_filtering',
  'kernel_limits',
  'resource_limits',
  'linux_sysctl',
  'unix_device_rename',
  'api_filtering',
];

const networks = [
  'network',
  'network_state',
  'network_leases',
  'network_routes',
  'network_dhcp_expiry',
  'network_hwaddr',
  'network_dhcp_gateway',
  'network_nat_order',
  'network_nat_address',
  'network_dns_search',
  'network_type_macvlan',
  'network_counters_errors_dropped',
  'network_leases_location',
  'instance_nic_network',
];

export const supportedExtensions: string[] = sortExtensions([...core, ...images, ...profilesAndProjects, ...storage, ...instances, ...networks]);
