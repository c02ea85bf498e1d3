import type { FaultKind, ReportSection } from '../../scenarios/index.js';
import type { ErrorKind, ScenarioResult, VariantResult } from '../schema.js';
import {
  addCounts,
  hitRatio,
  perInstance,
  scalingEfficiency,
  spread,
  throughput,
  totals,
  type Spread,
} from '../stats.js';
import { fitUsl, type UslFit } from '../usl.js';
import {
  ceilingShare,
  conservation,
  littlesLaw,
  schedule,
  type CeilingShare,
  type Conservation,
  type LittlesLaw,
  type Schedule,
} from './checks.js';
import { recovery, type Recovery } from './recovery.js';

/** One endpoint of a variant: its own throughput and latency, never mixed with another's. */
export interface EndpointRow {
  endpoint: string;
  requestsPerSecond: Spread;
  p50: Spread;
  p95: number;
  p99: number;
  /** The slowest answer of any repeat. */
  max: number;
  /** Summed over the repeats. */
  errors: Partial<Record<ErrorKind, number>>;
  /** Answers outside 2xx per status, summed over the repeats. */
  non2xx: Record<string, number>;
}

export interface SummaryRow {
  scenario: string;
  variant: string;
  /** Which load model produced the row, in words. */
  model: string;
  modelKind: VariantResult['model'];
  replicas: number;
  group?: string;
  interrupted: boolean;
  /** Every endpoint together: throughput only. */
  requestsPerSecond: Spread;
  endpoints: EndpointRow[];
  errors: number;
  non2xx: number;
  hitRatio: number;
  perInstance: Record<string, number>;
  perCacheStatus: Record<string, number>;
  checks: {
    conservation?: Conservation;
    littlesLaw?: LittlesLaw;
    ceiling?: CeilingShare;
    schedule?: Schedule;
  };
  /** Scaling section: vs the group's one-replica variant. */
  speedUp?: number;
  efficiency?: number;
  stampede?: { firstAnswerMs: Spread; lastAnswerMs: Spread; producerRuns: Spread };
  /** Static offload (page model): page-load time, and what the origin served per page load (medians). */
  offload?: { pageLoadMs: Spread; originRequests: number; originBytes: number; bigImageFromOrigin: number };
  fault?: FaultSummary;
}

/** A fault experiment: when the fault happened and how throughput came back, per repeat. */
export interface FaultSummary {
  kind: FaultKind;
  /** Seconds on the repeats' timelines. */
  startSecond: Spread;
  durationSeconds: Spread;
  /** In some repeat the fault was not over yet when the load ended. */
  outlastedLoad: boolean;
  /** Per repeat; null where there was no whole second before the fault to compare with. */
  recoveries: (Recovery | null)[];
}

/** A scaling curve: one group's variants by replicas, with the USL fitted to it. */
export interface ScalingCurve {
  scenario: string;
  group: string;
  points: { replicas: number; throughput: number; variant: string }[];
  fit: UslFit | undefined;
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);

function endpointRows(variant: VariantResult): EndpointRow[] {
  const names = [...new Set(variant.repeats.flatMap((r) => Object.keys(r.endpoints)))];
  return names.map((endpoint) => {
    const repeats = variant.repeats.map((r) => ({ repeat: r, result: r.endpoints[endpoint] }));
    const measured = repeats.filter((r) => r.result && r.result.requests > 0);
    const errors: EndpointRow['errors'] = {};
    const non2xx: Record<string, number> = {};
    for (const { result } of repeats) {
      if (!result) continue;
      addCounts(errors, result.errors);
      for (const [status, count] of Object.entries(result.statuses))
        if (!status.startsWith('2')) non2xx[status] = (non2xx[status] ?? 0) + count;
    }
    return {
      endpoint,
      requestsPerSecond: spread(
        repeats.map(({ repeat, result }) => (result?.requests ?? 0) / repeat.durationSeconds),
      ),
      p50: spread(measured.map((r) => r.result!.latency.p50)),
      p95: spread(measured.map((r) => r.result!.latency.p95)).median,
      p99: spread(measured.map((r) => r.result!.latency.p99)).median,
      max: Math.max(...measured.map((r) => r.result!.latency.max)),
      errors,
      non2xx,
    };
  });
}

function stampedeOf(variant: VariantResult): SummaryRow['stampede'] {
  const runs = variant.repeats.map((r) => r.stampede).filter((s) => s !== undefined);
  if (runs.length === 0) return undefined;
  return {
    firstAnswerMs: spread(runs.map((s) => s.firstAnswerMs)),
    lastAnswerMs: spread(runs.map((s) => s.lastAnswerMs)),
    producerRuns: spread(runs.map((s) => s.producerRuns)),
  };
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

function faultOf(variant: VariantResult): FaultSummary | undefined {
  const faulted = variant.repeats.filter((r) => r.fault);
  const [first] = faulted;
  if (!first) return undefined;
  return {
    kind: first.fault!.kind,
    startSecond: spread(faulted.map((r) => r.fault!.startSecond)),
    durationSeconds: spread(faulted.map((r) => r.fault!.endSecond - r.fault!.startSecond)),
    outlastedLoad: faulted.some((r) => r.fault!.endSecond > r.fault!.loadSeconds),
    recoveries: faulted.map((r) => recovery(r) ?? null),
  };
}

/** The group's one-replica variant, which speed-up and efficiency compare with. */
const oneReplicaOf = (scenario: ScenarioResult, variant: VariantResult) =>
  scenario.variants.find((v) => v.group === variant.group && v.replicas === 1);

function scalingOf(scenario: ScenarioResult, variant: VariantResult) {
  const single = oneReplicaOf(scenario, variant);
  if (!scenario.sections.includes('scaling') || !single) return {};
  const one = throughput(single).median;
  const rps = throughput(variant).median;
  return { speedUp: rps / one, efficiency: scalingEfficiency(rps, variant.replicas, one) };
}

function rowOf(scenario: ScenarioResult, variant: VariantResult): SummaryRow {
  return {
    scenario: scenario.scenario,
    variant: variant.name,
    model: variant.modelDescription,
    modelKind: variant.model,
    replicas: variant.replicas,
    group: variant.group,
    interrupted: variant.interrupted === true || variant.repeats.length === 0,
    requestsPerSecond: throughput(variant),
    endpoints: endpointRows(variant),
    errors: sum(variant.repeats.map((r) => r.errors)),
    non2xx: sum(variant.repeats.map((r) => r.non2xx)),
    hitRatio: hitRatio(variant),
    perInstance: perInstance(variant),
    perCacheStatus: totals(variant, (repeat) => repeat.perCacheStatus),
    checks: {
      conservation: conservation(variant),
      littlesLaw: littlesLaw(variant),
      ceiling: ceilingShare(variant, scenario.ceiling),
      schedule: schedule(variant),
    },
    ...scalingOf(scenario, variant),
    stampede: stampedeOf(variant),
    offload: offloadOf(variant),
    fault: faultOf(variant),
  };
}

export function summarize(results: readonly ScenarioResult[]): SummaryRow[] {
  return results.flatMap((scenario) => scenario.variants.map((variant) => rowOf(scenario, variant)));
}

/** The scaling curves of every scenario that declares a scaling section, each with its USL fit. */
export function scalingCurves(results: readonly ScenarioResult[]): ScalingCurve[] {
  return results
    .filter((result) => result.sections.includes('scaling'))
    .flatMap((result) => {
      const groups = [...new Set(result.variants.map((v) => v.group ?? ''))];
      return groups.map((group) => {
        const points = result.variants
          .filter((v) => (v.group ?? '') === group && v.repeats.length > 0)
          .map((v) => ({ replicas: v.replicas, throughput: throughput(v).median, variant: v.name }))
          .sort((a, b) => a.replicas - b.replicas);
        return { scenario: result.scenario, group, points, fit: fitUsl(points) };
      });
    });
}

/** Which scenarios declare a section. */
export const withSection = (results: readonly ScenarioResult[], section: ReportSection) =>
  results.filter((result) => result.sections.includes(section));

export const formatSpread = ({ median, min, max }: Spread, digits = 1) =>
  `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;

export { spread };
