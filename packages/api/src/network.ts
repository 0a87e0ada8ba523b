// Networks: managed bridges and macvlan, and unmanaged host interfaces.
export interface NetworkPut {
  config: Record<string, string>;
  description: string;
}

export interface NetworksPost extends Partial<NetworkPut> {
  name: string;
  type?: string;
}

export interface NetworkPost {
  name: string;
}

export interface Network extends NetworkPut {
  name: string;
  type: string;
  used_by: string[] | null;
  managed: boolean;
  status: string;
  locations: string[] | null;
}

export interface NetworkStateAddress {
  family: string;
  address: string;
  netmask: string;
  scope: string;
}

export interface NetworkState {
  addresses: NetworkStateAddress[];
  counters: {
    bytes_received: number;
    bytes_sent: number;
    packets_received: number;
    packets_sent: number;
    errors_received?: number;
    errors_sent?: number;
    packets_dropped_outbound?: number;
    packets_dropped_inbound?: number;
  };
  hwaddr: string;
  mtu: number;
  state: string;
  type: string;
  bond: null;
  bridge: { id: string; stp: boolean; forward_delay: number; vlan_default: number; vlan_filtering: boolean; upper_devices: string[] } | null;
  vlan: null;
  ovn: null;
}

export interface NetworkLease {
  hostname: string;
  hwaddr: string;
  address: string;
  type: string;
  location: string;
}
