// handleSummary: k6's own numbers, in the project's result schema (loadtests/src/schema.ts, version 2,
// runner "k6"). It never throws: what k6 did not measure, or a metric that is absent, becomes zeros and a note.
import type { LoadModel } from '../scenarios/index.ts';
import type {
  EndpointResult,
  Fingerprint,
  LatencySummary,
  RepeatResult,
  ScenarioResult,
  VariantResult,
} from '../src/schema.ts';
import { ARROW, CACHE, checkName, ERROR_KINDS, INSTANCE, NO_ANSWER } from './answers.ts';
import { CONNECTIONS_PER_HOST, MEASURED, RESULTS_DIR, type Run } from './common.ts';

/** What summaryFor reads of handleSummary's data (k6's default format, not the new machine-readable one). */
export interface SummaryMetric {
  type?: string;
  values?: Record<string, number | undefined>;
}
export interface SummaryCheck {
  name?: string;
  passes?: number;
  fails?: number;
}
export interface SummaryGroup {
  checks?: SummaryCheck[];
  groups?: SummaryGroup[];
}
export interface SummaryData {
  metrics?: Record<string, SummaryMetric | undefined>;
  root_group?: SummaryGroup;
  state?: { testRunDurationMs?: number };
}
export type SummaryOutput = Record<string, string>;

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const add = (counts: Record<string, number>, key: string, count: number) => {
  if (count > 0) counts[key] = (counts[key] ?? 0) + count;
};

/** A file-name-safe form of a variant name: "hit @ 200/s" → "hit-200-s". */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'variant'
  );
}

export function describeModel(model: LoadModel): string {
  switch (model.kind) {
    case 'closed':
      return `closed (k6 constant-vus): ${model.connections} VUs × ${model.durationSeconds} s`;
    case 'open':
      return `open (k6 constant-arrival-rate): ${model.ratePerSecond} req/s × ${model.durationSeconds} s`;
    case 'burst':
      return `burst (k6 per-vu-iterations): ${model.requests} VUs × 1 request, at once`;
    case 'stampede':
      return `stampede (k6 per-vu-iterations): ${model.requests} VUs × 1 request, at once, on a flushed cache`;
    case 'page':
      return `page load (k6 http.batch, ${CONNECTIONS_PER_HOST} connections per host): ${model.path} + assets`;
  }
}

const isObject = <T extends object>(value: T | null | undefined): value is T =>
  typeof value === 'object' && value !== null;

function allChecks(group: SummaryGroup | undefined): SummaryCheck[] {
  if (!isObject(group)) return [];
  const own = Array.isArray(group.checks) ? group.checks.filter(isObject) : [];
  const nested = Array.isArray(group.groups) ? group.groups.flatMap(allChecks) : [];
  return [...own, ...nested];
}

/** What the checks counted: statuses and errors per endpoint, answers per X-Instance and X-Cache. */
function countChecks(run: Run, data: SummaryData) {
  const statuses = new Map<string, Record<string, number>>();
  // Keyed by ErrorKind: countAnswer names a check after errorKind().
  const errors = new Map<string, Record<string, number>>();
  const perInstance: Record<string, number> = {};
  const perCacheStatus: Record<string, number> = {};
  const byCheckName = new Map(run.endpoints.map((e) => [checkName(e.key), e.key]));
  const counts = (map: Map<string, Record<string, number>>, key: string) => {
    const found = map.get(key) ?? {};
    map.set(key, found);
    return found;
  };
  for (const { name, passes, fails } of allChecks(data.root_group)) {
    if (typeof name !== 'string') continue;
    const count = num(passes) + num(fails);
    if (name.startsWith(INSTANCE)) {
      add(perInstance, name.slice(INSTANCE.length), count);
      continue;
    }
    if (name.startsWith(CACHE)) {
      add(perCacheStatus, name.slice(CACHE.length), count);
      continue;
    }
    const at = name.lastIndexOf(ARROW);
    const key = at < 0 ? undefined : byCheckName.get(name.slice(0, at));
    if (key === undefined) continue;
    const outcome = name.slice(at + ARROW.length);
    const kind = NO_ANSWER.exec(outcome)?.[1];
    if (kind === undefined) add(counts(statuses, key), outcome, count);
    else add(counts(errors, key), ERROR_KINDS.find((known) => known === kind) ?? 'other', count);
  }
  return { statuses, errors, perInstance, perCacheStatus };
}

function fingerprintFor(startedAt: Date): Fingerprint {
  const stackMode = __ENV.STACK_MODE;
  const unknown = 'unknown (k6 run)';
  return {
    // k6 does not see the machine or the stack's versions: the Node runner's fingerprint has them.
    cpuModel: unknown,
    cpuCount: 0,
    memoryGiB: 0,
    os: unknown,
    node: unknown,
    nginx: unknown,
    redis: unknown,
    mariadb: unknown,
    stackMode: stackMode === 'local' || stackMode === 'swarm' ? stackMode : 'compose',
    gitCommit: __ENV.GIT_COMMIT || unknown,
    startedAt: startedAt.toISOString(),
  };
}

function build(run: Run, data: SummaryData, notes: string[]): { result: ScenarioResult; line: string } {
  const { scenario, variant, model } = run;
  const missing = new Set<string>();
  const values = (name: string) => {
    const found = data.metrics?.[name]?.values;
    if (!found) missing.add(name);
    return found ?? {};
  };
  const latencyOf = (name: string): LatencySummary => {
    const v = values(name);
    return {
      p50: num(v.med),
      p90: num(v['p(90)']),
      p95: num(v['p(95)']),
      p99: num(v['p(99)']),
      max: num(v.max),
      mean: num(v.avg),
    };
  };

  const counted = countChecks(run, data);
  const endpoints: Record<string, EndpointResult> = {};
  for (const { key, tag } of run.endpoints) {
    const latency = latencyOf(`http_req_duration{endpoint:${tag}}`);
    const statuses = counted.statuses.get(key);
    const errors = counted.errors.get(key);
    if (statuses || errors) {
      const answered = Object.values(statuses ?? {}).reduce((sum, n) => sum + n, 0);
      endpoints[key] = { requests: answered, statuses: statuses ?? {}, errors: errors ?? {}, latency };
      continue;
    }
    // No check counted this endpoint: k6 only tells how many requests failed. A failure, answered or not,
    // counts as non-2xx here.
    const total = num(values(`http_reqs{endpoint:${tag}}`).count);
    const failed = Math.min(total, num(values(`http_req_failed{endpoint:${tag}}`).passes));
    const fallback: Record<string, number> = {};
    add(fallback, '2xx', total - failed);
    add(fallback, 'non2xx', failed);
    if (total > 0) notes.push(`${key}: no status checks, statuses from http_req_failed (failures as non2xx)`);
    endpoints[key] = { requests: total, statuses: fallback, errors: {}, latency };
  }

  const all = Object.values(endpoints);
  const requests = all.reduce((sum, e) => sum + e.requests, 0);
  const errors = all.reduce((sum, e) => sum + Object.values(e.errors).reduce((s, n) => s + num(n), 0), 0);
  const non2xx = all.reduce(
    (sum, e) =>
      sum +
      Object.entries(e.statuses).reduce((s, [status, n]) => (/^2(\d\d|xx)$/.test(status) ? s : s + n), 0),
    0,
  );
  const runMs = num(data.state?.testRunDurationMs);
  const durationSeconds =
    model.kind === 'closed' || model.kind === 'open'
      ? model.durationSeconds
      : model.kind === 'page'
        ? num(values('page_load').max) / 1000
        : num(values(`iteration_duration{scenario:${scenario.name}}`).max) / 1000 || runMs / 1000;
  const latency = latencyOf(`http_req_duration{${MEASURED}}`);

  const repeat: RepeatResult = {
    requests,
    non2xx,
    errors,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? requests / durationSeconds : 0,
    latency,
    endpoints,
    // k6's end-of-test summary has no per-second data: `k6 run --out json=samples.json` has every sample.
    timeline: [],
    // Page loads hit nginx's files, which send no X-Instance (the Node runner leaves it empty too).
    perInstance: model.kind === 'page' ? {} : counted.perInstance,
    perCacheStatus: counted.perCacheStatus,
    // k6 does not report its own CPU time.
    generatorCpu: 0,
  };
  let extra = '';
  if (model.kind === 'open') {
    // k6 sends on time when a VU is free and drops the slot otherwise: a dropped iteration is a missed slot.
    // It does not report how late a send left, hence no tolerance and no lag.
    const dropped = data.metrics?.dropped_iterations?.values;
    if (!dropped) notes.push('dropped_iterations absent: k6 dropped no slot (missedSlots 0)');
    const missedSlots = num(dropped?.count);
    repeat.schedule = {
      ratePerSecond: model.ratePerSecond,
      missedSlots,
      toleranceMs: 0,
      lagP99Ms: 0,
      lagMaxMs: 0,
    };
    extra = `, ${missedSlots} slots dropped`;
  }
  if (model.kind === 'stampede') {
    const v = values(`http_req_duration{${MEASURED}}`);
    extra = `, first answer ${num(v.min).toFixed(0)} ms, last ${num(v.max).toFixed(0)} ms`;
    notes.push(
      "producer runs: sum cache_producer_runs_total over every replica's /metrics, before and after",
    );
  }
  if (model.kind === 'page') extra = `, page load ${(durationSeconds * 1000).toFixed(0)} ms`;
  if (requests + errors === 0) notes.push('no request was measured: zeros');
  if (missing.size > 0) notes.push(`absent from the summary, written as zeros: ${[...missing].join(', ')}`);

  const woodyEnv: Record<string, string> = { CACHE_ENABLED: 'false', ...variant.woodyEnv };
  const woodyReplicas = Number(__ENV.WOODY_REPLICAS) || variant.woodyReplicas || 1;
  const movieReplicas = Number(__ENV.MOVIE_REPLICAS) || variant.movieReplicas || 1;
  const variantResult: VariantResult = {
    name: variant.name,
    model: model.kind,
    modelDescription: describeModel(model),
    connections:
      model.kind === 'closed'
        ? model.connections
        : model.kind === 'burst' || model.kind === 'stampede'
          ? model.requests
          : undefined,
    // As the variant declares them (k6 cannot see the stack): -e WOODY_REPLICAS / MOVIE_REPLICAS override.
    replicas: variant.target === 'site' ? woodyReplicas : variant.target === 'movie-lb' ? movieReplicas : 1,
    woodyReplicas,
    movieReplicas,
    cache: variant.cache ?? (woodyEnv.CACHE_ENABLED === 'false' ? 'off' : 'on'),
    heavyMode: woodyEnv.HEAVY_MODE,
    target: variant.target,
    group: variant.group,
    repeats: [repeat],
  };
  const result: ScenarioResult = {
    schemaVersion: 2,
    runner: 'k6',
    scenario: scenario.name,
    title: scenario.title,
    expectation: scenario.expectation,
    model: describeModel(scenario.model),
    quick: false,
    sections: [...(scenario.sections ?? [])],
    fingerprint: fingerprintFor(new Date(Date.now() - runMs)),
    variants: [variantResult],
  };
  const rate = repeat.requestsPerSecond.toFixed(1);
  const line =
    `k6 ${scenario.name} / ${variant.name} (${variantResult.modelDescription}): ${requests} answers in ` +
    `${durationSeconds.toFixed(1)} s, ${rate} req/s, p50 ${latency.p50.toFixed(1)} ms, ` +
    `p99 ${latency.p99.toFixed(1)} ms, non-2xx ${non2xx}, no answer ${errors}${extra}`;
  return { result, line };
}

/**
 * handleSummary: k6's numbers in the project's result schema, written to
 * RESULTS_DIR/k6-<scenario>-<variant slug>.json, and one line on stdout. It never throws: an absent metric
 * (no request ran, a sub-metric missing, no dropped_iterations) is written as zeros or empty, with a note.
 */
export function summaryFor(run: Run, data: SummaryData): SummaryOutput {
  const path = `${RESULTS_DIR}/k6-${run.scenario.name}-${slug(run.variant.name)}.json`;
  const notes: string[] = [];
  let built: { result: ScenarioResult; line: string };
  try {
    built = build(run, data ?? {}, notes);
  } catch (error) {
    notes.length = 0;
    notes.push(`could not read k6's summary (${String(error)}): every number is zero`);
    try {
      built = build(run, {}, notes);
    } catch (again) {
      return {
        stdout: `k6 ${run.scenario.name} / ${run.variant.name}: no result written (${String(again)})\n`,
      };
    }
  }
  const stdout = [`${built.line} → ${path}`, ...notes.map((note) => `  note: ${note}`)].join('\n') + '\n';
  return { [path]: `${JSON.stringify(built.result, null, 2)}\n`, stdout };
}
