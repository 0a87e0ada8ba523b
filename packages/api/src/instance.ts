// Instances, their runtime state, snapshots, backups, exec and file requests.
import type { Devices } from './profile.js';

export type InstanceType = 'container' | 'virtual-machine';

export interface InstancePut {
  architecture: string;
  config: Record<string, string>;
  devices: Devices;
  ephemeral: boolean;
  profiles: string[];
  restore?: string;
  stateful: boolean;
  description: string;
}

export interface InstanceSource {
  type: string;
  certificate?: string;
  alias?: string;
  fingerprint?: string;
  properties?: Record<string, string>;
  server?: string;
  secret?: string;
  protocol?: string;
  'base-image'?: string;
  mode?: string;
  operation?: string;
  secrets?: Record<string, string>;
  source?: string;
  live?: boolean;
  instance_only?: boolean;
  container_only?: boolean;
  refresh?: boolean;
  project?: string;
  allow_inconsistent?: boolean;
}

export interface InstancesPost extends Partial<Omit<InstancePut, 'profiles' | 'config' | 'devices'>> {
  name?: string;
  source?: InstanceSource;
  instance_type?: string;
  type?: InstanceType | '';
  profiles?: string[] | null;
  config?: Record<string, string> | null;
  devices?: Devices | null;
}

export interface InstancePostTarget {
  certificate: string;
  operation?: string;
  secrets?: Record<string, string>;
}

export interface InstancePost {
  name?: string;
  migration?: boolean;
  live?: boolean;
  instance_only?: boolean;
  container_only?: boolean;
  target?: InstancePostTarget | null;
  pool?: string;
  project?: string;
  allow_inconsistent?: boolean;
}

export interface Instance extends InstancePut {
  created_at: string;
  expanded_config: Record<string, string>;
  expanded_devices: Devices;
  name: string;
  status: string;
  status_code: number;
  last_used_at: string;
  location: string;
  type: InstanceType;
  project: string;
}

export interface InstanceFull extends Instance {
  backups: InstanceBackup[] | null;
  state: InstanceState | null;
  snapshots: InstanceSnapshot[] | null;
}

export interface InstanceStatePut {
  action: 'start' | 'stop' | 'restart' | 'freeze' | 'unfreeze';
  timeout: number;
  force: boolean;
  stateful: boolean;
}

export interface InstanceStateNetworkAddress {
  family: string;
  address: string;
  netmask: string;
  scope: string;
}

export interface InstanceStateNetworkCounters {
  bytes_received: number;
  bytes_sent: number;
  packets_received: number;
  packets_sent: number;
  errors_received: number;
  errors_sent: number;
  packets_dropped_outbound: number;
  packets_dropped_inbound: number;
}

export interface InstanceStateNetwork {
  addresses: InstanceStateNetworkAddress[];
  counters: InstanceStateNetworkCounters;
  hwaddr: string;
  host_name: string;
  mtu: number;
  state: string;
  type: string;
}

export interface InstanceState {
  status: string;
  status_code: number;
  disk: Record<string, { usage: number }> | null;
  memory: { usage: number; usage_peak: number; swap_usage: number; swap_usage_peak: number };
  network: Record<string, InstanceStateNetwork> | null;
  pid: number;
  processes: number;
  cpu: { usage: number };
}

export interface InstanceSnapshotPut {
  expires_at: string;
}

export interface InstanceSnapshotsPost {
  name?: string;
  stateful?: boolean;
  expires_at?: string | null;
}

export interface InstanceSnapshotPost {
  name?: string;
  migration?: boolean;
  target?: InstancePostTarget | null;
  live?: boolean;
}

export interface InstanceSnapshot extends InstanceSnapshotPut {
  architecture: string;
  config: Record<string, string>;
  created_at: string;
  devices: Devices;
  ephemeral: boolean;
  expanded_config: Record<string, string>;
  expanded_devices: Devices;
  last_used_at: string;
  name: string;
  profiles: string[];
  stateful: boolean;
  size: number;
}

export interface InstanceBackupsPost {
  name?: string;
  expires_at?: string;
  instance_only?: boolean;
  container_only?: boolean;
  optimized_storage?: boolean;
  compression_algorithm?: string;
}

export interface InstanceBackup {
  name: string;
  created_at: string;
  expires_at: string;
  instance_only: boolean;
  container_only: boolean;
  optimized_storage: boolean;
}

export interface InstanceExecPost {
  command: string[];
  'wait-for-websocket'?: boolean;
  interactive?: boolean;
  environment?: Record<string, string> | null;
  width?: number;
  height?: number;
  'record-output'?: boolean;
  user?: number;
  group?: number;
  cwd?: string;
}

export interface InstanceExecControl {
  command: string;
  args?: Record<string, string> | null;
  signal?: number;
}

export interface InstanceConsolePost {
  type?: string;
  width?: number;
  height?: number;
}
