// ApiRequest implementation: query, project, body reading with limits, ETag checks.
import type { IncomingMessage } from 'node:http';
import { ApiError } from '@lodge/api';
import type { Identity } from './identity.js';
import { checkShape, type Shape } from './shape.js';
import type { ApiRequest } from './types.js';

/** JSON bodies above this are refused; uploads use streams, not json(). */
export const maxJsonBody = 16 * 1024 * 1024;

export class HttpApiRequest implements ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly project: string;
  readonly recursion: number;
  readonly isUpgrade: boolean;
  private consumed = false;

  constructor(
    readonly raw: IncomingMessage,
    readonly identity: Identity,
    readonly params: Record<string, string>,
    url: URL,
  ) {
    this.method = raw.method ?? 'GET';
    this.path = url.pathname;
    this.query = url.searchParams;
    this.project = this.query.get('project') || 'default';
    this.recursion = Number.parseInt(this.query.get('recursion') ?? '0', 10) || 0;
    this.isUpgrade = (raw.headers.upgrade ?? '').toLowerCase() === 'websocket';
  }

  get headers(): IncomingMessage['headers'] {
    return this.raw.headers;
  }

  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw ApiError.internal(`missing route parameter ${name}`);
    return v;
  }

  async buffer(maxBytes: number): Promise<Buffer> {
    if (this.consumed) throw ApiError.internal('request body already read');
    this.consumed = true;
    const declared = Number(this.raw.headers['content-length'] ?? '0');
    if (declared > maxBytes) {
      this.raw.resume();
      throw new ApiError(413, `Request body too large (limit ${maxBytes} bytes)`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.raw) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        this.raw.resume();
        throw new ApiError(413, `Request body too large (limit ${maxBytes} bytes)`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async json<T>(shape: Shape): Promise<T> {
    const body = await this.buffer(maxJsonBody);
    const text = body.toString('utf8').trim();
    if (text === '') throw ApiError.badRequest('Request body is empty (expected JSON)');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw ApiError.badRequest(`Invalid JSON in request body: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw ApiError.badRequest('Invalid request: the body must be a JSON object');
    checkShape(value, shape);
    return value as T;
  }

  checkEtag(current: string): void {
    const sent = this.raw.headers['if-match'];
    if (!sent) return;
    const clean = sent.replace(/^W\//, '').replace(/^"|"$/g, '');
    if (clean !== current) throw ApiError.preconditionFailed(`ETag doesn't match: ${current} vs ${clean}`);
  }
}
