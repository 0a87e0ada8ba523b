// GET/PUT /1.0: server information and server configuration.
export interface ServerStorageDriverInfo {
  Name: string;
  Version: string;
  Remote: boolean;
}

export interface ServerEnvironment {
  addresses: string[];
  architectures: string[];
  certificate: string;
  certificate_fingerprint: string;
  driver: string;
  driver_version: string;
  firewall: string;
  kernel: string;
  kernel_architecture: string;
  kernel_features: Record<string, string>;
  kernel_version: string;
  lxc_features: Record<string, string>;
  os_name: string;
  os_version: string;
  project: string;
  server: string;
  server_clustered: boolean;
  server_event_mode: string;
  server_name: string;
  server_pid: number;
  server_version: string;
  storage: string;
  storage_version: string;
  storage_supported_drivers: ServerStorageDriverInfo[];
}

export interface ServerPut {
  /** Strings, except core.trust_password which reads back as boolean true when set. */
  config: Record<string, string | boolean>;
}

export interface ServerUntrusted {
  api_extensions: string[];
  api_status: string;
  api_version: string;
  auth: 'trusted' | 'untrusted';
  public: boolean;
  auth_methods: string[];
}

export interface Server extends ServerPut, ServerUntrusted {
  environment: ServerEnvironment;
}
