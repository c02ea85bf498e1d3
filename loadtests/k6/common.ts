// Shared by the k6 scripts: k6 options and a handleSummary that writes the project's result schema.
// k6 runs TypeScript as is (esbuild strips the types); `tsc -p loadtests/k6` checks them against @types/k6.
import type { Options } from 'k6/options';
import type { RequestSpec, Scenario } from '../scenarios/index.ts';

/** Where the stack answers: the proxy in compose or Swarm (see docs/measuring.md). */
export const BASE_URL = __ENV.BASE_URL || 'http://localhost';
/** The movie load balancer (the tutorial's port 8000). */
export const MOVIE_URL = __ENV.MOVIE_URL || 'http://localhost:8000';
/** Where handleSummary writes k6-<scenario>.json (the compose k6 service mounts ./results/k6 here). */
export const RESULTS_DIR = __ENV.RESULTS_DIR || 'results';
/** k6 cannot scale the stack: name the variant you deployed (e.g. "sleep × 3") when you run it. */
export const VARIANT = __ENV.VARIANT || 'as deployed';

export function k6Options(scenario: Scenario): Options {
  const model = scenario.model;
  const executor =
    model.kind === 'closed'
      ? { executor: 'constant-vus' as const, vus: model.connections, duration: `${model.durationSeconds}s` }
      : {
          executor: 'per-vu-iterations' as const,
          vus: model.kind === 'burst' ? model.requests : 1,
          iterations: 1,
        };
  return {
    scenarios: { [scenario.name]: { ...executor, tags: { variant: VARIANT } } },
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    thresholds: { http_req_failed: ['rate<0.01'], checks: ['rate>0.99'] },
  };
}

/** The same weighted mix and {n} counters as the Node runner. */
export function pathFor(requests: readonly RequestSpec[], iteration: number): RequestSpec {
  const wheel = requests.flatMap((spec) => Array<RequestSpec>(spec.weight ?? 1).fill(spec));
  const spec = wheel[iteration % wheel.length]!;
  return {
    ...spec,
    path: spec.path.replace(/\{n(\d*)\}/g, (_, modulo: string) =>
      String(modulo ? iteration % Number(modulo) : iteration),
    ),
  };
}

interface TrendValues {
  med: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
  max: number;
  avg: number;
}

interface SummaryData {
  state: { testRunDurationMs: number };
  metrics: Record<string, { values: Record<string, number> }>;
}

/** handleSummary: k6's own numbers, in the result schema the report reads (runner: "k6"). */
export function summaryFor(scenario: Scenario, data: SummaryData) {
  const duration = data.metrics.http_req_duration!.values as unknown as TrendValues;
  const requests = data.metrics.http_reqs!.values.count ?? 0;
  const failed = Math.round((data.metrics.http_req_failed?.values.rate ?? 0) * requests);
  const result = {
    schemaVersion: 1,
    runner: 'k6',
    scenario: scenario.name,
    title: scenario.title,
    expectation: scenario.expectation,
    model:
      scenario.model.kind === 'closed'
        ? `closed (k6 constant-vus): ${scenario.model.connections} VUs`
        : `${scenario.model.kind} (k6): ${scenario.model.kind === 'burst' ? scenario.model.requests : 1} VUs × 1`,
    quick: false,
    fingerprint: { stackMode: __ENV.STACK_MODE || 'compose', startedAt: new Date().toISOString() },
    variants: [
      {
        name: VARIANT,
        woodyReplicas: Number(__ENV.WOODY_REPLICAS || 0),
        movieReplicas: Number(__ENV.MOVIE_REPLICAS || 0),
        cache: __ENV.CACHE || 'as deployed',
        target: BASE_URL,
        repeats: [
          {
            requests,
            non2xx: failed,
            errors: 0,
            durationSeconds: data.state.testRunDurationMs / 1000,
            requestsPerSecond: requests / (data.state.testRunDurationMs / 1000),
            latency: {
              p50: duration.med,
              p90: duration['p(90)'],
              p95: duration['p(95)'],
              p99: duration['p(99)'],
              max: duration.max,
              mean: duration.avg,
            },
            perInstance: {},
            perCacheStatus: {},
            generatorCpu: 0,
          },
        ],
      },
    ],
  };
  return {
    [`${RESULTS_DIR}/k6-${scenario.name}.json`]: JSON.stringify(result, null, 2),
    stdout: `${scenario.name} (${VARIANT}): ${requests} requests, ${result.variants[0]!.repeats[0]!.requestsPerSecond.toFixed(1)} req/s, p50 ${duration.med.toFixed(1)} ms, p99 ${duration['p(99)'].toFixed(1)} ms, failed ${failed}\n`,
  };
}
