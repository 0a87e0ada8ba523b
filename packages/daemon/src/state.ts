// State: the services and infrastructure an endpoint handler may use, built once by daemon.ts.
import type { Store } from './db/store.js';
import type { EventHub } from './events/hub.js';
import type { AliasService } from './images/aliases.js';
import type { ImageDownloader } from './images/download.js';
import type { ImageImporter } from './images/importer.js';
import type { ImageRefresher } from './images/refresh.js';
import type { ImageService } from './images/service.js';
import type { ImageTokens } from './images/tokens.js';
import type { InstanceService } from './instance/service.js';
import type { MigrationService } from './migration/service.js';
import type { NetworkService } from './network/service.js';
import type { OperationRegistry } from './operations/registry.js';
import type { ProfileService } from './profiles/service.js';
import type { ProjectService } from './projects/service.js';
import type { ServerService } from './server/service.js';
import type { PoolAdmin } from './storage/pool-admin.js';
import type { PoolService } from './storage/pools.js';
import type { Enrollment } from './trust/enroll.js';
import type { TrustService } from './trust/service.js';
import type { Logger } from './sys/log.js';
import type { Paths } from './sys/paths.js';

export interface State {
  readonly paths: Paths;
  readonly store: Store;
  readonly events: EventHub;
  readonly operations: OperationRegistry;
  readonly log: Logger;
  readonly server: ServerService;
  readonly projects: ProjectService;
  readonly profiles: ProfileService;
  readonly pools: PoolService;
  readonly poolAdmin: PoolAdmin;
  readonly images: ImageService;
  readonly imageImporter: ImageImporter;
  readonly aliases: AliasService;
  /** Images from image servers (simplestreams, LXD), their refresh, and one-time image tokens. */
  readonly imageDownloader: ImageDownloader;
  readonly imageRefresher: ImageRefresher;
  readonly imageTokens: ImageTokens;
  readonly instances: InstanceService;
  readonly migration: MigrationService;
  /** The trust store (certificates allowed over HTTPS). */
  readonly trust: TrustService;
  /** POST /1.0/certificates: adding trust by certificate, password or token. */
  readonly enrollment: Enrollment;
  readonly networks: NetworkService;
  /** Asks the daemon to shut down (after the reply is sent). */
  requestShutdown(): void;
}
