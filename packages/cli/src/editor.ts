// `edit` commands: YAML from stdin when it is not a terminal, otherwise $EDITOR on a temp file, re-opened after errors.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from './context.js';
import { decodeYaml } from './format/fromyaml.js';
import type { Shape } from './format/gotypes.js';

export interface EditSpec {
  /** The writable shape the YAML is decoded into. */
  shape: Shape;
  /** Comment block shown above the YAML in the editor. */
  help?: string;
  /** Current YAML and ETag, fetched only for the interactive editor. */
  current: () => Promise<{ yaml: string; etag?: string }>;
  /** Sends the decoded body (with the ETag from `current` when editing interactively). */
  apply: (body: unknown, etag?: string) => Promise<void>;
}

function editorCommand(env: NodeJS.ProcessEnv): string[] {
  const e = (env.VISUAL || env.EDITOR || 'vi').trim();
  return e.split(/\s+/);
}

/** Runs the editor on `text` and returns what the user saved. */
export async function textEditor(ctx: Context, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lodge_editor_'));
  const file = join(dir, 'edit.yaml');
  try {
    await writeFile(file, text, { mode: 0o600 });
    const [cmd = 'vi', ...args] = editorCommand(ctx.io.env);
    const r = spawnSync(cmd, [...args, file], { stdio: 'inherit', env: ctx.io.env });
    if (r.error) throw new Error(`Failed to run the editor ${cmd}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`The editor ${cmd} exited with status ${r.status ?? r.signal}`);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function waitForEnter(stdin: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stdin.off('error', fail);
      stdin.pause();
      resolve();
    };
    const fail = (e: Error): void => {
      stdin.off('data', done);
      reject(e);
    };
    stdin.once('data', done);
    stdin.once('error', fail);
    stdin.resume();
  });
}

export async function edit(ctx: Context, spec: EditSpec): Promise<void> {
  if (!ctx.stdinIsTTY) {
    await spec.apply(decodeYaml(spec.shape, await ctx.readStdin()));
    return;
  }
  const { yaml, etag } = await spec.current();
  let content = await textEditor(ctx, spec.help ? `${spec.help}\n\n${yaml}` : yaml);
  for (;;) {
    try {
      await spec.apply(decodeYaml(spec.shape, content), etag);
      return;
    } catch (e) {
      ctx.warn(`Config parsing error: ${(e as Error).message}`);
      ctx.println('Press enter to open the editor again or ctrl+c to abort change');
      await waitForEnter(ctx.io.stdin);
      content = await textEditor(ctx, content);
    }
  }
}
