// Router: matches request paths against endpoint templates like /1.0/profiles/{name}.
import type { Endpoint } from './types.js';

interface Compiled {
  endpoint: Endpoint;
  segments: string[];
}

export interface Match {
  endpoint: Endpoint;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Compiled[] = [];

  constructor(endpoints: Endpoint[]) {
    for (const endpoint of endpoints) this.routes.push({ endpoint, segments: split(endpoint.path) });
    // Literal segments win over parameters ("/1.0/images/aliases" before "/1.0/images/{fp}").
    this.routes.sort((a, b) => literalScore(b.segments) - literalScore(a.segments));
  }

  match(path: string): Match | undefined {
    const parts = split(path);
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params) return { endpoint: route.endpoint, params };
    }
    return undefined;
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s, i) => s !== '' || i === 0);
}

function literalScore(segments: string[]): number {
  let score = 0;
  for (let i = 0; i < segments.length; i++) if (!segments[i]?.startsWith('{')) score += 1 / (i + 1);
  return segments.length * 100 + score;
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  if (template.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] ?? '';
    const p = parts[i] ?? '';
    if (t.startsWith('{') && t.endsWith('}')) {
      if (p === '') return undefined;
      try {
        params[t.slice(1, -1)] = decodeURIComponent(p);
      } catch {
        return undefined;
      }
    } else if (t !== p) return undefined;
  }
  return params;
}
