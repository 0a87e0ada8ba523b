// ETags: a sha256 over the writable fields of an object, as LXD derives them.
import { createHash } from 'node:crypto';

/** Stable JSON: object keys sorted, so equal content gives an equal tag. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = stable((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function etagOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(stable(parts))).digest('hex');
}
