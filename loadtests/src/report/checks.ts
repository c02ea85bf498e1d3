// The self-checks that make a number trustworthy, one pure function each (docs/measuring.md).
import type { Ceiling, RepeatResult, VariantResult } from '../schema.js';
import { spread, throughput } from '../stats.js';

/** Little's law may be off by this much before a closed row is marked. */
export const LITTLE_TOLERANCE = 0.15;
/** A closed variant above this share of the generator's ceiling measured the generator, not the stack. */
export const CEILING_SHARE_LIMIT = 0.7;

export interface Conservation {
  worstGap: number;
  margin: number;
  holds: boolean;
}

/**
 * The servers count every request the runner counted, plus at most the ones still in flight when a
 * closed-model run stopped (one per connection): 0 ≤ servers − runner ≤ connections.
 */
export function conservation(variant: VariantResult): Conservation | undefined {
  if (variant.repeats.length === 0 || variant.repeats.some((r) => !r.serverCounted)) return undefined;
  const margin = variant.model === 'closed' ? (variant.connections ?? 0) : 0;
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

/**
 * Requests in flight on average over one closed repeat, from what the generator measured: throughput ×
 * mean latency, plus the time of the requests still unanswered at the end. A closed generator can never
 * have more in flight than its connections; more means its latencies include its own delays.
 */
export function inFlight(repeat: RepeatResult): number {
  const answered = repeat.requestsPerSecond * (repeat.latency.mean / 1000);
  return answered + (repeat.unfinishedMs ?? 0) / 1000 / repeat.durationSeconds;
}

export interface LittlesLaw {
  /** Median over the repeats. */
  inFlight: number;
  connections: number;
  /** Every repeat within the tolerance. */
  holds: boolean;
}

export function littlesLaw(variant: VariantResult): LittlesLaw | undefined {
  const connections = variant.connections;
  const measured = variant.repeats.filter((r) => r.requests > 0);
  if (variant.model !== 'closed' || !connections || measured.length === 0) return undefined;
  const values = measured.map(inFlight);
  return {
    inFlight: spread(values).median,
    connections,
    holds: values.every((value) => Math.abs(value - connections) / connections <= LITTLE_TOLERANCE),
  };
}

export interface CeilingShare {
  /** The variant's median throughput over the best the generator did against a bare server. */
  share: number;
  generatorBound: boolean;
}

export function ceilingShare(variant: VariantResult, ceiling: Ceiling | undefined): CeilingShare | undefined {
  if (variant.model !== 'closed' || !ceiling || variant.repeats.length === 0) return undefined;
  const best = Math.max(ceiling.bareNode, ceiling.nginx);
  const share = throughput(variant).median / best;
  return { share, generatorBound: share > CEILING_SHARE_LIMIT };
}

export interface Schedule {
  missedSlots: number;
  sends: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Open model: how many sends left late, over all repeats, and the worst lag. */
export function schedule(variant: VariantResult): Schedule | undefined {
  const repeats = variant.repeats.filter((r) => r.schedule);
  if (repeats.length === 0) return undefined;
  return {
    missedSlots: repeats.reduce((sum, r) => sum + r.schedule!.missedSlots, 0),
    sends: repeats.reduce((sum, r) => sum + r.requests + r.errors, 0),
    lagP99Ms: Math.max(...repeats.map((r) => r.schedule!.lagP99Ms)),
    lagMaxMs: Math.max(...repeats.map((r) => r.schedule!.lagMaxMs)),
  };
}
