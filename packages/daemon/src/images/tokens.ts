// Image tokens: one-time secrets for fetching a private image, and push tokens an untrusted server uploads into.
import { randomBytes } from 'node:crypto';
import type { ImageAlias } from '@lodge/api';
import type { EventHub, LifecycleOptions } from '../events/hub.js';
import type { Operation } from '../operations/operation.js';
import type { OperationRegistry } from '../operations/registry.js';

const tokenDescription = 'Image download token';

/** What a push token carries to the upload that uses it (from the POST /1.0/images that made it). */
export interface PushTokenMetadata {
  aliases?: ImageAlias[] | null;
  expires_at?: string;
  properties?: Record<string, string> | null;
  public?: boolean;
}

export function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

export class ImageTokens {
  constructor(
    private readonly operations: OperationRegistry,
    private readonly events: EventHub,
  ) {}

  /** A token operation whose metadata.secret lets an untrusted caller use the image once. */
  create(project: string, fingerprint: string, lc: LifecycleOptions, metadata: PushTokenMetadata = {}): Operation {
    const op = this.operations.start({
      project,
      class: 'token',
      description: tokenDescription,
      resources: { images: [`/1.0/images/${fingerprint}`] },
      metadata: { ...metadata, secret: randomSecret() },
    });
    this.events.lifecycle(project, 'image-secret-created', `/1.0/images/${fingerprint}`, lc);
    return op;
  }

  /**
   * The token for this image and secret, if any: the first use cancels it, and it stays usable while the
   * finished operation is still listed (about 5 s, as in LXD: enough for GET image then its export).
   */
  async use(project: string, fingerprint: string, secret: string | null | undefined): Promise<Operation | undefined> {
    if (!secret) return undefined;
    const url = `/1.0/images/${fingerprint}`;
    const op = this.operations
      .list(project)
      .find((o) => o.class === 'token' && o.description === tokenDescription && (o.resources?.images ?? []).includes(url) && o.metadata?.secret === secret);
    if (op && !op.final) await op.cancel();
    return op;
  }
}
