// Paths: every location under the daemon's state directory, named once.
import { join } from 'node:path';

export class Paths {
  constructor(readonly dir: string) {}

  get socket(): string {
    return join(this.dir, 'unix.socket');
  }
  get database(): string {
    return join(this.dir, 'database');
  }
  get databaseFile(): string {
    return join(this.dir, 'database', 'lodge.db');
  }
  get logs(): string {
    return join(this.dir, 'logs');
  }
  get daemonLog(): string {
    return join(this.dir, 'logs', 'lodged.log');
  }
  get images(): string {
    return join(this.dir, 'images');
  }
  get containers(): string {
    return join(this.dir, 'containers');
  }
  get snapshots(): string {
    return join(this.dir, 'snapshots');
  }
  get backups(): string {
    return join(this.dir, 'backups');
  }
  get storagePools(): string {
    return join(this.dir, 'storage-pools');
  }
  get networks(): string {
    return join(this.dir, 'networks');
  }
  get tmp(): string {
    return join(this.dir, 'tmp');
  }
  get cache(): string {
    return join(this.dir, 'cache');
  }
  get serverCert(): string {
    return join(this.dir, 'server.crt');
  }
  get serverKey(): string {
    return join(this.dir, 'server.key');
  }
  get pidFile(): string {
    return join(this.dir, 'lodged.pid');
  }

  image(fingerprint: string): string {
    return join(this.images, fingerprint);
  }
  imageRootfs(fingerprint: string): string {
    return join(this.images, `${fingerprint}.rootfs`);
  }
  /** Backups of one instance ("<project>_<name>"). */
  instanceBackups(scope: string): string {
    return join(this.backups, 'instances', scope);
  }
  seccompProfile(lxcName: string): string {
    return join(this.dir, 'security', 'seccomp', lxcName);
  }
  deviceNodes(lxcName: string): string {
    return join(this.dir, 'devices', lxcName);
  }
  instanceLogs(lxcName: string): string {
    return join(this.logs, lxcName);
  }
}
