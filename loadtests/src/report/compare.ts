import type { Spread } from '../stats.js';
import type { SummaryRow } from './summary.js';
import { ms } from './tables.js';
import type { Report } from './write.js';

/**
 * Before → after. Two measurements whose min–max spreads overlap are "no difference": a ratio would
 * only report noise.
 */
export function difference(before: Spread, after: Spread, format: (n: number) => string): string {
  const change = `${format(before.median)} → ${format(after.median)}`;
  if (![before.median, after.median].every(Number.isFinite)) return change;
  if (before.min <= after.max && after.min <= before.max) return `${change}: no difference (spreads overlap)`;
  return `${change} (${(after.median / before.median).toFixed(2)}×)`;
}

const key = (row: SummaryRow) => `${row.scenario} ${row.variant}`;

/** Every variant and endpoint both reports have: throughput and p50. */
export function compareReports(before: Report, after: Report): string {
  const lines = [
    '| scenario | variant | endpoint | req/s before → after | p50 ms before → after |',
    '|---|---|---|---|---|',
  ];
  for (const row of after.rows) {
    const old = before.rows.find((r) => key(r) === key(row));
    if (!old) continue;
    for (const endpoint of row.endpoints) {
      const previous = old.endpoints.find((e) => e.endpoint === endpoint.endpoint);
      if (!previous) continue;
      lines.push(
        `| ${row.scenario} | ${row.variant} | ${endpoint.endpoint} | ${difference(previous.requestsPerSecond, endpoint.requestsPerSecond, (n) => n.toFixed(1))} | ${difference(previous.p50, endpoint.p50, ms)} |`,
      );
    }
  }
  if (lines.length === 2) lines.push('| – | no variant in common | | | |');
  return lines.join('\n');
}
