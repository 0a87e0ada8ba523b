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

const images = ['api_filtering', 'image_types', 'image_profiles', 'images_expiry', 'image_compression_algorithm', 'image_create_aliases'];

/** Image servers: copies from simplestreams and LXD servers, push/relay, refresh, per-project cache settings. */
const imageServers = ['image_force_refresh', 'images_push_relay', 'image_source_project', 'images_target_project', 'projects_images_remote_cache_expiry', 'projects_images_auto_update'];

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
  'unix_device_hotplug',
  'container_mount_propagation',
  'container_disk_shift',
  'api_filtering',
  'instance_bulk_state_change',
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

const backups = ['container_backup', 'backup_compression', 'backup_compression_algorithm', 'backup_override_name', 'container_backup_override_pool'];

const copies = ['container_push', 'container_push_target', 'container_stateless_copy', 'migration_progress', 'container_copy_project', 'container_incremental_copy', 'container_only_migration', 'instance_allow_inconsistent_copy'];

/** HTTPS and the trust store: certificate add/update, tokens, restricted certificates, self-renewal. */
const trust = ['certificate_update', 'certificate_project', 'certificate_self_renewal', 'certificate_token', 'remote_token_expiry'];

const snapshots = ['snapshot_expiry', 'snapshot_expiry_creation', 'snapshot_scheduling', 'snapshot_schedule_aliases', 'snapshot_disk_usage'];

/** GET /1.0/resources; resources_network_firmware is left out: the firmware version is only behind an ethtool ioctl. */
const resources = ['resources', 'resources_v2', 'resources_cpu_socket', 'resources_gpu', 'resources_numa', 'resources_infiniband', 'resources_disk_sata', 'resources_disk_id', 'resources_usb_pci', 'resources_cpu_threads_numa', 'resources_cpu_core_die', 'resources_system', 'resources_gpu_mdev', 'resources_pci_iommu', 'resources_network_usb', 'resources_disk_address', 'resources_gpu_usb', 'resources_pci_vpd'];

export const supportedExtensions: string[] = sortExtensions([
  ...core,
  ...images,
  ...imageServers,
  ...profilesAndProjects,
  ...storage,
  ...instances,
  ...snapshots,
  ...copies,
  ...backups,
  ...resources,
  ...trust,
  ...networks,
]);
