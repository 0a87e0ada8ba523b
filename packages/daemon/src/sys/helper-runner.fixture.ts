// A fake Runner for the lodge-helper wrapper's unit tests: the helper's exit and output without running it.
import { RunError, type Runner } from './runner.js';

/** A runner whose run() fails like the helper with the given stderr (or succeeds with stdout). */
export function fakeRunner(result: { stdout?: string; stderr?: string; code?: number }, calls: string[][] = []): Runner {
  return {
    run: async (cmd, args) => {
      calls.push([cmd, ...args]);
      if (result.code) throw new RunError(cmd, result.code, '', result.stderr ?? '');
      return { code: 0, stdout: result.stdout ?? '', stderr: '' };
    },
    spawn: () => {
      throw new Error('not used');
    },
  };
}
