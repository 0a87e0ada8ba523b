// CRIU availability: `criu check` once per daemon; stateful operations refuse with its reason when it fails.
import type { Runner } from './runner.js';

export interface CriuStatus {
  ok: boolean;
  reason: string;
}

let cached: Promise<CriuStatus> | undefined;

export function criuStatus(runner: Runner): Promise<CriuStatus> {
  cached ??= runner
    .run('criu', ['check'], { timeoutMs: 30_000 })
    .then(() => ({ ok: true, reason: '' }))
    .catch((e: Error & { stderr?: string }) => {
      const detail = (e.stderr ?? e.message).split('\n').map((l) => l.trim()).filter((l) => l !== '');
      return { ok: false, reason: `CRIU does not work on this host (criu check: ${detail.slice(-2).join('; ') || e.message})` };
    });
  return cached;
}
