// metadata.yaml of an image: parsed and checked the way LXD checks it.
import { ApiError, type ImageMetadata, type ImageMetadataTemplate } from '@lodge/api';
import { parse, stringify } from 'yaml';

export const knownArchitectures = ['i686', 'x86_64', 'armv6l', 'armv7l', 'armv8l', 'aarch64', 'ppc', 'ppc64', 'ppc64le', 's390x', 'mips', 'mips64', 'riscv32', 'riscv64', 'loongarch64'];

const archAliases: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', armhf: 'armv7l', i386: 'i686', x86: 'i686', ppc64el: 'ppc64le' };

export function normalizeArchitecture(arch: string): string | undefined {
  const a = archAliases[arch] ?? arch;
  return knownArchitectures.includes(a) ? a : undefined;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw ApiError.badRequest(`Invalid image metadata: ${what} must be a map`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = val === null || val === undefined ? '' : String(val);
  return out;
}

function parseTemplates(v: unknown): Record<string, ImageMetadataTemplate> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw ApiError.badRequest('Invalid image metadata: templates must be a map');
  const out: Record<string, ImageMetadataTemplate> = {};
  for (const [path, raw] of Object.entries(v as Record<string, unknown>)) {
    const t = (raw ?? {}) as Record<string, unknown>;
    if (!path.startsWith('/')) throw ApiError.badRequest(`Invalid image metadata: template target "${path}" is not an absolute path`);
    const template = String(t.template ?? '');
    if (!template || template.includes('/') || template.startsWith('.')) {
      throw ApiError.badRequest(`Invalid image metadata: template file "${template}" for "${path}" must be a file name in templates/`);
    }
    out[path] = {
      when: Array.isArray(t.when) ? t.when.map(String) : [],
      create_only: t.create_only === true,
      template,
      properties: stringMap(t.properties, `templates.${path}.properties`),
    };
  }
  return out;
}

export function parseImageMetadata(text: string): ImageMetadata {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw ApiError.badRequest(`Invalid image metadata: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw ApiError.badRequest('Invalid image metadata: not a YAML map');
  const m = doc as Record<string, unknown>;
  const arch = normalizeArchitecture(String(m.architecture ?? ''));
  if (!arch) throw ApiError.badRequest(`Invalid image metadata: unknown architecture "${String(m.architecture ?? '')}"`);
  const creation = Number(m.creation_date ?? 0);
  if (!Number.isFinite(creation) || creation <= 0) throw ApiError.badRequest('Missing creation date');
  const expiry = Number(m.expiry_date ?? 0);
  return {
    architecture: arch,
    creation_date: Math.trunc(creation),
    expiry_date: Number.isFinite(expiry) ? Math.trunc(expiry) : 0,
    properties: stringMap(m.properties, 'properties'),
    templates: parseTemplates(m.templates),
  };
}

export function renderImageMetadata(meta: ImageMetadata): string {
  return stringify(meta, { indentSeq: false });
}
