// Renders a Reply as HTTP: the LXD envelope for JSON replies, raw bodies for files and streams.
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResponseRaw } from '@lodge/api';
import type { Reply } from './reply.js';

function envelope<T>(type: ResponseRaw['type'], fields: Partial<ResponseRaw<T>>): string {
  const body: ResponseRaw<unknown> = {
    type,
    status: fields.status ?? '',
    status_code: fields.status_code ?? 0,
    operation: fields.operation ?? '',
    error_code: fields.error_code ?? 0,
    error: fields.error ?? '',
    metadata: fields.metadata ?? null,
  };
  return JSON.stringify(body);
}

export function errorBody(status: number, message: string): string {
  // LXD's error bodies end with two newlines.
  return `${envelope('error', { error_code: status, error: message })}\n\n`;
}

export async function render(res: ServerResponse, reply: Reply, isHead: boolean): Promise<void> {
  switch (reply.kind) {
    case 'sync': {
      const body = `${envelope('sync', { status: 'Success', status_code: 200, metadata: reply.metadata })}\n`;
      const headers: Record<string, string | number> = { 'Content-Type': 'application/json', ...reply.headers };
      if (reply.location) headers.Location = reply.location;
      if (reply.etag) headers.ETag = `"${reply.etag}"`;
      writeBody(res, reply.status, headers, body, isHead);
      return;
    }
    case 'async': {
      const op = reply.op;
      const body = `${envelope('async', { status: 'Operation created', status_code: 100, operation: op.url, metadata: op.toApi() })}\n`;
      writeBody(res, 202, { 'Content-Type': 'application/json', Location: op.url }, body, isHead);
      return;
    }
    case 'error':
      writeBody(res, reply.status, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' }, errorBody(reply.status, reply.message), isHead);
      return;
    case 'raw':
      await renderRaw(res, reply, isHead);
      return;
    case 'upgrade':
      writeBody(res, 400, { 'Content-Type': 'application/json' }, errorBody(400, 'This endpoint needs a websocket upgrade'), isHead);
      return;
  }
}

function writeBody(res: ServerResponse, status: number, headers: Record<string, string | number>, body: string, isHead: boolean): void {
  const buf = Buffer.from(body);
  res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  res.end(isHead ? undefined : buf);
}

async function renderRaw(res: ServerResponse, reply: Extract<Reply, { kind: 'raw' }>, isHead: boolean): Promise<void> {
  try {
    res.writeHead(reply.status, reply.headers);
    if (isHead || reply.body === undefined) {
      res.end();
      return;
    }
    if (reply.body instanceof Readable) await pipeline(reply.body, res);
    else res.end(reply.body);
  } finally {
    reply.done?.();
  }
}
