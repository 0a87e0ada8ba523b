// Process helpers for the benchmarks: run a command, time a command, both with captured output.
import { spawn } from 'node:child_process';

export function run(cmd, args, { env = process.env, input, allowFail = false, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !allowFail) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr || stdout}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** Wall-clock milliseconds of one command run (it must succeed). */
export async function timed(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  await run(cmd, args, opts);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
