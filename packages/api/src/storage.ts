// Storage pools and their volumes.
export interface StoragePoolPut {
  config: Record<string, string>;
  description: string;
}

export interface StoragePoolsPost extends Partial<StoragePoolPut> {
  name: string;
  driver: string;
}

export interface StoragePool extends StoragePoolPut {
  name: string;
  driver: string;
  used_by: string[];
  status: string;
  locations: string[];
}

export interface ResourcesStoragePool {
  space: { used: number; total: number };
  inodes: { used: number; total: number };
}

export interface StorageVolumePut {
  config: Record<string, string>;
  description: string;
}

export interface StorageVolume extends StorageVolumePut {
  name: string;
  type: string;
  used_by: string[];
  location: string;
  content_type: string;
  project: string;
  created_at: string;
}
