// Endpoint table types: a path with one action per method, each with an access rule and a handler.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { State } from '../state.js';
import type { Identity } from './identity.js';
import type { Reply } from './reply.js';
import type { Shape } from './shape.js';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
  readonly identity: Identity;
  /** ?project=, "default" when absent. */
  readonly project: string;
  /** ?recursion= as a number (0 when absent). */
  readonly recursion: number;
  /** True for a websocket upgrade request. */
  readonly isUpgrade: boolean;
  /** Parses the JSON body and checks it against a shape (400 on bad JSON or types, 413 when too large). */
  json<T>(shape: Shape): Promise<T>;
  /** The raw body as a buffer, limited to maxBytes (413 above). */
  buffer(maxBytes: number): Promise<Buffer>;
  /** Refuses the request with 412 if If-Match is set and differs from the current ETag. */
  checkEtag(current: string): void;
  param(name: string): string;
}

/** Throws ApiError when the caller may not perform the action. */
export type Access = (req: ApiRequest, s: State) => void | Promise<void>;

export type Handler = (req: ApiRequest, s: State) => Promise<Reply>;

export interface Action {
  access: Access;
  handle: Handler;
}

export interface Endpoint {
  path: string;
  get?: Action;
  head?: Action;
  put?: Action;
  post?: Action;
  patch?: Action;
  delete?: Action;
  /** Skip the check that ?project= names an existing project. */
  anyProject?: boolean;
}

export type Method = 'get' | 'head' | 'put' | 'post' | 'patch' | 'delete';
