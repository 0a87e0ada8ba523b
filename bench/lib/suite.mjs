// Runs benchmark cases against two daemons, alternating (ABBA order), and summarises medians and ratios.
import { median } from './proc.mjs';

/**
 * A case: { name, target, setup?(d, i) -> ctx, measure(d, ctx) -> ms, teardown?(d, ctx) }.
 * Each round runs one iteration on each daemon; even rounds start with lodge, odd rounds with LXD.
 */
export async function runCase(c, lodge, lxd, minRounds, log) {
  const times = { lodge: [], lxd: [] };
  // Cases of a few tens of milliseconds vary by ±50% from run to run (both daemons): they take more rounds.
  const rounds = Math.max(minRounds, c.rounds ?? 0);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [lodge, lxd] : [lxd, lodge];
    for (const d of order) {
      const ctx = c.setup ? await c.setup(d, i) : undefined;
      times[d.name].push(await c.measure(d, ctx, i));
      if (c.teardown) await c.teardown(d, ctx, i);
    }
  }
  const result = {
    name: c.name,
    target: c.target,
    rounds,
    lodge_ms: median(times.lodge),
    lxd_ms: median(times.lxd),
    samples: times,
  };
  result.ratio = result.lodge_ms / result.lxd_ms;
  log(`${c.name}: lodge ${result.lodge_ms.toFixed(1)} ms, LXD ${result.lxd_ms.toFixed(1)} ms, ratio ${result.ratio.toFixed(2)}${c.target ? ` (target <= ${c.target})` : ''}`);
  return result;
}

export function markdownTable(results) {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.lodge_ms.toFixed(1)} | ${r.lxd_ms.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.target ?? ''} | ${r.target === undefined ? '' : r.ratio <= r.target ? 'met' : 'missed'} | ${r.rounds} |`,
  );
  return ['| case | lodge median (ms) | LXD median (ms) | lodge/LXD | target | | runs |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
