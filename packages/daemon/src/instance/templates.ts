// Applies image templates (metadata.yaml "templates") to a stopped container's rootfs at create, copy and start.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '@lodge/api';
import { isTrue } from '../config/validators.js';
import { parseImageMetadata } from '../images/metadata.js';
import { exists } from '../sys/fs.js';
import { resolveInRoot, writeInRoot } from '../sys/rootfs.js';
import type { InstanceContext } from './context.js';
import { renderTemplate } from './template-engine.js';
import type { InstanceView } from './view.js';

/** Renders every template whose "when" includes the trigger (create/copy once, start every time). */
export async function applyTemplates(ctx: InstanceContext, view: InstanceView, volume: string, pending: string | undefined): Promise<void> {
  const metaFile = join(volume, 'metadata.yaml');
  if (!(await exists(metaFile))) return;
  const meta = parseImageMetadata(await readFile(metaFile, 'utf8'));
  const triggers = new Set(['start', ...(pending ? [pending] : [])]);
  const rootfs = join(volume, 'rootfs');
  for (const [path, tpl] of Object.entries(meta.templates)) {
    const trigger = tpl.when.find((w) => triggers.has(w));
    if (!trigger) continue;
    if (tpl.create_only && (await exists(await resolveInRoot(rootfs, path)))) continue;
    const source = await readFile(join(volume, 'templates', tpl.template), 'utf8').catch(() => {
      throw ApiError.badRequest(`Image template "${tpl.template}" is missing from the image`);
    });
    let text: string;
    try {
      text = renderTemplate(source, {
        trigger,
        path,
        instance: instanceVars(view),
        container: instanceVars(view),
        config: view.expandedConfig,
        devices: view.expandedDevices,
        properties: tpl.properties,
      });
    } catch (e) {
      throw ApiError.badRequest(`Failed to render template "${tpl.template}": ${(e as Error).message}`);
    }
    await writeInRoot(rootfs, path, text);
  }
  ctx.log.debug('Applied image templates', { instance: view.rec.name, triggers: [...triggers].join(',') });
}

function instanceVars(view: InstanceView): Record<string, unknown> {
  return {
    name: view.rec.name,
    architecture: view.rec.architecture,
    privileged: isTrue(view.expandedConfig['security.privileged']),
    ephemeral: view.rec.ephemeral,
  };
}
