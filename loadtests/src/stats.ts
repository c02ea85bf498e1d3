import type { RepeatResult, VariantResult } from './schema.js';

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

/** The p-th percentile of values sorted in ascending order (nearest rank); undefined when there are none. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Adds one set of counts into another. */
export function addCounts<K extends string>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
) {
  for (const [key, count] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + count;
}

/** One kind of count (per replica, per cache status…) summed over a variant's repeats. */
export function totals(variant: VariantResult, counts: (repeat: RepeatResult) => Record<string, number>) {
  const sum: Record<string, number> = {};
  for (const repeat of variant.repeats) addCounts(sum, counts(repeat));
  return sum;
}

export const throughput = (variant: VariantResult): Spread =>
  spread(variant.repeats.map((r) => r.requestsPerSecond));
/** Scaling efficiency = throughput(N) / (N × throughput(1)); 1 is perfect scaling. */
export function scalingEfficiency(throughputN: number, replicas: number, throughput1: number): number {
  return throughputN / (replicas * throughput1);
}

/** Share of answers that were cache hits (HIT or STALE). */
export function hitRatio(variant: VariantResult): number {
  const statuses = totals(variant, (repeat) => repeat.perCacheStatus);
  const all = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  return all === 0 ? 0 : ((statuses.HIT ?? 0) + (statuses.STALE ?? 0)) / all;
}

/** Total answers per replica over all repeats. */
export const perInstance = (variant: VariantResult) => totals(variant, (repeat) => repeat.perInstance);
