// The dir storage driver: a pool is a directory; volumes are subdirectories.
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriverInfo, PoolSpace, StorageDriver } from '../driver.js';

export const poolSubdirs = ['containers', 'containers-snapshots', 'images', 'custom', 'custom-snapshots'];

export class DirDriver implements StorageDriver {
  constructor(private readonly poolsDir: string) {}

  info(): DriverInfo {
    return { name: 'dir', version: '1', remote: false, cheapCopies: false };
  }

  async createPool(name: string, config: Record<string, string>): Promise<Record<string, string>> {
    const source = config.source || join(this.poolsDir, name);
    await mkdir(source, { recursive: true, mode: 0o711 });
    for (const sub of poolSubdirs) await mkdir(join(source, sub), { recursive: true, mode: 0o711 });
    return { ...config, source };
  }

  async deletePool(name: string, config: Record<string, string>): Promise<void> {
    const source = config.source || join(this.poolsDir, name);
    for (const sub of poolSubdirs) await rm(join(source, sub), { recursive: true, force: true });
    if (source.startsWith(this.poolsDir)) await rm(source, { recursive: true, force: true });
  }

  async space(config: Record<string, string>): Promise<PoolSpace> {
    const s = await statfs(config.source ?? this.poolsDir);
    return {
      total: s.blocks * s.bsize,
      used: (s.blocks - s.bfree) * s.bsize,
      inodesTotal: s.files,
      inodesUsed: s.files - s.ffree,
    };
  }
}
