// Host hardware inventory (GET /1.0/resources): LXD's api.Resources; optional fields are omitted when empty (Go omitempty).

export interface Resources {
  cpu: ResourcesCPU;
  memory: ResourcesMemory;
  gpu: ResourcesGPU;
  network: ResourcesNetwork;
  storage: ResourcesStorage;
  usb: ResourcesUSB;
  pci: ResourcesPCI;
  system: ResourcesSystem;
}

export interface ResourcesCPU {
  /** uname machine, e.g. x86_64. */
  architecture: string;
  sockets: ResourcesCPUSocket[];
  /** Threads over all sockets and cores. */
  total: number;
}

export interface ResourcesCPUSocket {
  name?: string;
  vendor?: string;
  socket: number;
  cache?: ResourcesCPUCache[];
  cores: ResourcesCPUCore[];
  /** MHz: the average of the cores' current frequencies. */
  frequency?: number;
  frequency_minimum?: number;
  frequency_turbo?: number;
}

export interface ResourcesCPUCache {
  level: number;
  /** Data, Instruction, Unified or Unknown. */
  type: string;
  /** Bytes. */
  size: number;
}

export interface ResourcesCPUCore {
  core: number;
  die: number;
  threads: ResourcesCPUThread[];
  /** MHz. */
  frequency?: number;
}

export interface ResourcesCPUThread {
  /** The kernel's CPU number (what cpusets use). */
  id: number;
  numa_node: number;
  /** Index of the thread within its core. */
  thread: number;
  online: boolean;
  isolated: boolean;
}

export interface ResourcesMemory {
  nodes?: ResourcesMemoryNode[];
  /** Bytes, like every other memory figure. */
  hugepages_total: number;
  hugepages_used: number;
  hugepages_size: number;
  used: number;
  total: number;
}

export interface ResourcesMemoryNode {
  numa_node: number;
  hugepages_used: number;
  hugepages_total: number;
  used: number;
  total: number;
}

export interface ResourcesGPU {
  cards: ResourcesGPUCard[];
  /** Cards plus their SR-IOV virtual functions. */
  total: number;
}

/** Where a GPU or network card sits and what it is (names from pci.ids when present). */
export interface ResourcesCardIdentity {
  numa_node: number;
  pci_address?: string;
  vendor?: string;
  vendor_id?: string;
  product?: string;
  product_id?: string;
  usb_address?: string;
}

export interface ResourcesGPUCard extends ResourcesCardIdentity {
  driver?: string;
  driver_version?: string;
  drm?: ResourcesGPUCardDRM;
  sriov?: ResourcesGPUCardSRIOV;
  nvidia?: ResourcesGPUCardNvidia;
  mdev?: Record<string, ResourcesGPUCardMdev>;
}

export interface ResourcesGPUCardDRM {
  id: number;
  card_name: string;
  /** major:minor. */
  card_device: string;
  control_name?: string;
  control_device?: string;
  render_name?: string;
  render_device?: string;
}

/** SR-IOV state of a GPU or network card; its virtual functions are listed as cards of their own. */
export interface ResourcesSRIOV<Card> {
  current_vfs: number;
  maximum_vfs: number;
  /** null when no virtual function is configured (as LXD). */
  vfs: Card[] | null;
}

export type ResourcesGPUCardSRIOV = ResourcesSRIOV<ResourcesGPUCard>;

export interface ResourcesGPUCardNvidia {
  cuda_version?: string;
  nvrm_version?: string;
  brand: string;
  model: string;
  uuid?: string;
  architecture?: string;
  card_name: string;
  card_device: string;
}

export interface ResourcesGPUCardMdev {
  api: string;
  available: number;
  name?: string;
  description?: string;
  /** UUIDs of the active devices; null when the profile has no devices directory. */
  devices: string[] | null;
}

export interface ResourcesNetwork {
  cards: ResourcesNetworkCard[];
  /** Cards plus their SR-IOV virtual functions. */
  total: number;
}

export interface ResourcesNetworkCard extends ResourcesCardIdentity {
  driver?: string;
  driver_version?: string;
  ports?: ResourcesNetworkCardPort[];
  sriov?: ResourcesNetworkCardSRIOV;
  firmware_version?: string;
}

export interface ResourcesNetworkCardPort {
  /** Interface name. */
  id: string;
  address?: string;
  port: number;
  /** ethernet, ATM, infiniband, or "" for other link types. */
  protocol: string;
  supported_modes?: string[];
  supported_ports?: string[];
  port_type?: string;
  transceiver_type?: string;
  auto_negotiation: boolean;
  link_detected: boolean;
  /** Mbit/s. */
  link_speed?: number;
  link_duplex?: string;
  infiniband?: ResourcesNetworkCardPortInfiniband;
}

export interface ResourcesNetworkCardPortInfiniband {
  issm_name?: string;
  issm_device?: string;
  mad_name?: string;
  mad_device?: string;
  verb_name?: string;
  verb_device?: string;
}

export type ResourcesNetworkCardSRIOV = ResourcesSRIOV<ResourcesNetworkCard>;

export interface ResourcesStorage {
  disks: ResourcesStorageDisk[];
  /** Disks plus their partitions. */
  total: number;
}

export interface ResourcesStorageDisk {
  /** Kernel device name, e.g. nvme0n1. */
  id: string;
  /** major:minor. */
  device: string;
  model?: string;
  type?: string;
  read_only: boolean;
  /** Bytes. */
  size: number;
  removable: boolean;
  wwn?: string;
  numa_node: number;
  /** Name in /dev/disk/by-path. */
  device_path?: string;
  block_size: number;
  firmware_version?: string;
  /** 0 for solid state, 1 for an unknown rotational speed. */
  rpm: number;
  serial?: string;
  /** Name in /dev/disk/by-id ("" when none). */
  device_id: string;
  partitions: ResourcesStorageDiskPartition[];
  pci_address?: string;
  usb_address?: string;
}

export interface ResourcesStorageDiskPartition {
  id: string;
  device: string;
  read_only: boolean;
  size: number;
  partition: number;
}

export interface ResourcesUSB {
  devices: ResourcesUSBDevice[];
  total: number;
}

export interface ResourcesUSBDevice {
  bus_address: number;
  device_address: number;
  /** null when the device has no interface directories (as LXD). */
  interfaces: ResourcesUSBDeviceInterface[] | null;
  vendor: string;
  vendor_id: string;
  product: string;
  product_id: string;
  /** Mbit/s. */
  speed: number;
}

export interface ResourcesUSBDeviceInterface {
  class: string;
  class_id: number;
  driver: string;
  driver_version: string;
  number: number;
  subclass: string;
  subclass_id: number;
}

export interface ResourcesPCI {
  devices: ResourcesPCIDevice[];
  total: number;
}

export interface ResourcesPCIDevice {
  driver: string;
  driver_version: string;
  numa_node: number;
  pci_address: string;
  vendor: string;
  vendor_id: string;
  product: string;
  product_id: string;
  iommu_group: number;
  vpd: ResourcesPCIVPD;
}

/** Vital Product Data read from the device's VPD capability. */
export interface ResourcesPCIVPD {
  product_name?: string;
  entries?: Record<string, string>;
}

export interface ResourcesSystem {
  uuid: string;
  vendor: string;
  product: string;
  family: string;
  version: string;
  sku: string;
  serial: string;
  /** physical, virtual-machine, container or unknown. */
  type: string;
  /** null when the host has no DMI (/sys/class/dmi/id). */
  firmware: ResourcesSystemFirmware | null;
  chassis: ResourcesSystemChassis | null;
  motherboard: ResourcesSystemMotherboard | null;
}

export interface ResourcesSystemFirmware {
  vendor: string;
  date: string;
  version: string;
}

export interface ResourcesSystemChassis {
  vendor: string;
  type: string;
  serial: string;
  version: string;
}

export interface ResourcesSystemMotherboard {
  vendor: string;
  product: string;
  serial: string;
  version: string;
}
