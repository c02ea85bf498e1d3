import type { ScenarioResult, VariantResult } from '../schema.js';
import {
  generatorBound,
  hitRatio,
  latency,
  perInstance,
  scalingEfficiency,
  spread,
  throughput,
  type Spread,
} from '../stats.js';

export interface SummaryRow {
  scenario: string;
  variant: string;
  model: string;
  replicas: number;
  requestsPerSecond: Spread;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Throughput relative to the scenario's first variant. */
  speedUp: number;
  /** throughput(N) / (N × throughput(1)), for replica comparisons of one heavy mode. */
  efficiency?: number;
  hitRatio: number;
  perInstance: Record<string, number>;
  generatorBound: boolean;
  /** Static offload (page model): page-load time, and what the origin served per page load (medians). */
  offload?: { pageLoadMs: Spread; originRequests: number; originBytes: number; bigImageFromOrigin: number };
  /** Conservation check: requests the servers counted minus those the runner counted, worst repeat. */
  conservation?: { worstGap: number; margin: number; holds: boolean };
}

const replicasOf = (scenario: ScenarioResult, variant: VariantResult) =>
  scenario.scenario === 'tutorial'
    ? variant.target === 'movie-direct'
      ? 1
      : variant.movieReplicas
    : variant.woodyReplicas;

/**
 * The servers count every request the runner counted, plus at most the ones still in flight when a
 * closed-model run stopped (one per connection): 0 ≤ servers − runner ≤ connections.
 */
export function conservation(variant: VariantResult, connections: number | undefined) {
  if (variant.repeats.length === 0 || variant.repeats.some((r) => !r.serverCounted)) return undefined;
  const margin = connections ?? 0;
  let worstGap = 0;
  let holds = true;
  for (const repeat of variant.repeats) {
    const servers = Object.values(repeat.serverCounted!).reduce((sum, n) => sum + n, 0);
    const gap = servers - repeat.requests;
    if (Math.abs(gap) > Math.abs(worstGap)) worstGap = gap;
    if (gap < 0 || gap > margin) holds = false;
  }
  return { worstGap, margin, holds };
}

function offloadOf(variant: VariantResult): SummaryRow['offload'] {
  const loads = variant.repeats.map((r) => r.offload).filter((o) => o !== undefined);
  if (loads.length === 0) return undefined;
  return {
    pageLoadMs: spread(loads.map((o) => o.pageLoadMs)),
    originRequests: spread(loads.map((o) => o.originRequests)).median,
    originBytes: spread(loads.map((o) => o.originBytes)).median,
    bigImageFromOrigin: Math.max(...loads.map((o) => o.bigImageFromOrigin)),
  };
}

export function summarize(results: readonly ScenarioResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const scenario of results) {
    const first = scenario.variants[0];
    const base = first ? throughput(first).median : Number.NaN;
    for (const variant of scenario.variants) {
      const replicas = replicasOf(scenario, variant);
      const rps = throughput(variant);
      // Efficiency compares a heavy mode with its own one-replica run.
      const sameModeSingle = scenario.variants.find(
        (v) => v.heavyMode === variant.heavyMode && v.woodyReplicas === 1,
      );
      rows.push({
        scenario: scenario.scenario,
        variant: variant.name,
        model: scenario.model,
        replicas,
        requestsPerSecond: rps,
        p50: latency(variant, 'p50').median,
        p95: latency(variant, 'p95').median,
        p99: latency(variant, 'p99').median,
        errors: variant.repeats.reduce((sum, r) => sum + r.errors, 0),
        non2xx: variant.repeats.reduce((sum, r) => sum + r.non2xx, 0),
        // Replicas compare with one replica of the same heavy mode; other scenarios with their first variant.
        speedUp:
          rps.median /
          (sameModeSingle && scenario.scenario === 'replicas' ? throughput(sameModeSingle).median : base),
        efficiency:
          scenario.scenario === 'replicas' && sameModeSingle
            ? scalingEfficiency(rps.median, replicas, throughput(sameModeSingle).median)
            : undefined,
        hitRatio: hitRatio(variant),
        perInstance: perInstance(variant),
        generatorBound: generatorBound(variant),
        conservation: conservation(variant, scenario.connections),
        offload: offloadOf(variant),
      });
    }
  }
  return rows;
}

export const formatSpread = ({ median, min, max }: Spread, digits = 1) =>
  `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;

export { spread };
