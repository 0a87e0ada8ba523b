// Profiles: reusable config and devices applied to instances in order.
export type Devices = Record<string, Record<string, string>>;

export interface ProfilePut {
  config: Record<string, string>;
  description: string;
  devices: Devices;
}

export interface ProfilesPost extends Partial<ProfilePut> {
  name: string;
}

export interface ProfilePost {
  name: string;
}

export interface Profile extends ProfilePut {
  name: string;
  used_by: string[];
}
