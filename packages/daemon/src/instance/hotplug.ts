// Device hot-plug into running containers, dispatched by device type; types without a handler are refused.
import type { Devices } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { InstanceView } from './view.js';

export interface HotplugHandler {
  add(view: InstanceView, name: string, device: Record<string, string>, pid: number): Promise<void>;
  remove(view: InstanceView, name: string, device: Record<string, string>, pid: number): Promise<void>;
  /** Changes a device in place; false when it must be removed and added again. */
  update?(view: InstanceView, name: string, before: Record<string, string>, after: Record<string, string>, pid: number): Promise<boolean>;
}

export class HotplugRegistry {
  private readonly handlers = new Map<string, HotplugHandler>();

  register(type: string, handler: HotplugHandler): void {
    this.handlers.set(type, handler);
  }

  /** Refuses the whole change before touching anything if one device type cannot be hot-plugged. */
  check(added: Devices, removed: Devices): void {
    for (const [name, dev] of [...Object.entries(removed), ...Object.entries(added)]) {
      if (dev.type === 'none') continue;
      if (!this.handlers.has(dev.type ?? '')) throw ApiError.badRequest(`Device "${name}" of type "${dev.type}" cannot be added or removed while the instance is running`);
    }
  }

  /** Removals first (a device that changed is removed, then added with its new settings). */
  async apply(view: InstanceView, added: Devices, removed: Devices, pid: number): Promise<void> {
    this.check(added, removed);
    added = { ...added };
    removed = { ...removed };
    for (const [name, dev] of Object.entries(added)) {
      const before = removed[name];
      const handler = this.handlers.get(dev.type ?? '');
      if (before && before.type === dev.type && handler?.update && (await handler.update(view, name, before, dev, pid))) {
        delete added[name];
        delete removed[name];
      }
    }
    for (const [name, dev] of Object.entries(removed)) if (dev.type !== 'none') await this.handlers.get(dev.type!)!.remove(view, name, dev, pid);
    for (const [name, dev] of Object.entries(added)) if (dev.type !== 'none') await this.handlers.get(dev.type!)!.add(view, name, dev, pid);
  }
}
