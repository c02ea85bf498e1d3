import type { VariantResult } from './schema.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median with min–max spread over repeats: a difference smaller than the spread is no difference. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export const throughput = (variant: VariantResult): Spread =>
  spread(variant.repeats.map((r) => r.requestsPerSecond));
/** Scaling efficiency = throughput(N) / (N × throughput(1)); 1 is perfect scaling. */
export function scalingEfficiency(throughputN: number, replicas: number, throughput1: number): number {
  return throughputN / (replicas * throughput1);
}

/** Share of answers that were cache hits (HIT or STALE). */
export function hitRatio(variant: VariantResult): number {
  let hits = 0;
  let total = 0;
  for (const repeat of variant.repeats) {
    for (const [status, count] of Object.entries(repeat.perCacheStatus)) {
      total += count;
      if (status === 'HIT' || status === 'STALE') hits += count;
    }
  }
  return total === 0 ? 0 : hits / total;
}

/** Total answers per replica over all repeats. */
export function perInstance(variant: VariantResult): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const repeat of variant.repeats) {
    for (const [instance, count] of Object.entries(repeat.perInstance))
      totals[instance] = (totals[instance] ?? 0) + count;
  }
  return totals;
}
