// What the instance code needs from the rest of the daemon, gathered in one object.
import type { Store } from '../db/store.js';
import type { EventHub } from '../events/hub.js';
import type { ImageService } from '../images/service.js';
import type { ProfileService } from '../profiles/service.js';
import type { ProjectService } from '../projects/service.js';
import type { PoolService } from '../storage/pools.js';
import type { Logger } from '../sys/log.js';
import type { Paths } from '../sys/paths.js';
import type { Runner } from '../sys/runner.js';
import type { SubRange } from '../sys/idmap.js';
import type { HostResources } from './lxc/limits.js';
import type { LxcDriver } from './lxc/driver.js';
import type { NicNetworks } from './nic.js';

export interface InstanceContext {
  store: Store;
  events: EventHub;
  log: Logger;
  runner: Runner;
  paths: Paths;
  projects: ProjectService;
  profiles: ProfileService;
  pools: PoolService;
  images: ImageService;
  lxc: LxcDriver;
  host: HostResources & { architecture: string; architectures: string[] };
  /** root's subordinate id ranges; undefined means only privileged containers can run. */
  subids?: { uid: SubRange; gid: SubRange };
  daemonId: string;
  /** Path of the hook program LXC runs after a container stops. */
  hookCommand: (project: string, name: string) => string | undefined;
  /** Managed networks, for nic devices (absent: nics can only use nictype/parent). */
  networks?: NicNetworks;
}
