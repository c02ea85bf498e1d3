// Shared by the k6 scripts, one per scenario: which variant runs, the k6 executor of its load model, its
// requests (the same weighted mix and {n} counters as the Node runner), and a handleSummary that writes the
// project's result schema (loadtests/src/schema.ts, version 2, runner "k6").
//
// k6 ≥ 0.57 runs TypeScript as is (it strips the types); `tsc -p loadtests/k6` checks these files against
// @types/k6 and the result schema. k6 cannot import npm packages: this file uses k6's own modules only.
//
// What a k6 result has that the Node runner's also has: requests, latency per endpoint and all together,
// statuses and errors per endpoint, answers per X-Instance and X-Cache, the open model's dropped slots.
// What it lacks: no timeline (k6's end-of-test summary has no per-second data; `k6 run --out json=…` has
// every sample), no generator CPU, no conservation check against the replicas' /metrics, no producer runs
// (stampede), no origin access log (offload), no per-request times in sending order (burst).

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Trend } from 'k6/metrics';
import type { Options, Scenario as K6Scenario, Threshold } from 'k6/options';
import type { LoadModel, RequestSpec, Scenario, Target, Variant } from '../scenarios/index.ts';
import type {
  EndpointResult,
  ErrorKind,
  Fingerprint,
  LatencySummary,
  RepeatResult,
  ScenarioResult,
  VariantResult,
} from '../src/schema.ts';

const trimmed = (url: string) => url.replace(/\/+$/, '');

/** Target "site": nginx's site port, front and /api/ → woody-api replicas (compose: http://proxy:8080). */
export const BASE_URL = trimmed(__ENV.BASE_URL || 'http://localhost');
/** Target "movie-lb": the tutorial's load balancer, nginx's movie port (compose: http://proxy:8000). */
export const MOVIE_URL = trimmed(__ENV.MOVIE_URL || 'http://localhost:8000');
/** Where handleSummary writes k6-<scenario>-<variant>.json; it must exist (compose k6 service: /results). */
export const RESULTS_DIR = __ENV.RESULTS_DIR || 'results/k6';

/** The tag of measured requests: warm-up requests in setup() carry phase "warm-up" instead. */
const MEASURED = 'phase:measure';
/** The page model's assets, whatever their paths: one endpoint of the result. */
const PAGE_ASSETS = 'GET (page assets)';
/** The {n} counter of warm-up requests: far from the measured ones (0, 1, …), and ≡ 0 modulo 2, 5 and 10. */
const WARMUP_COUNTER = 1e9;
/** A browser opens at most six connections per host; the page model's http.batch does the same. */
const CONNECTIONS_PER_HOST = 6;

// http_req_failed counts what the Node runner counts as non-2xx, and the requests that got no answer (k6's
// default counts 3xx as success).
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));

/** Page model: from the page's first byte sent to the last asset's last byte, like a browser's load event. */
const pageLoad = new Trend('page_load', true);

/** One kind of request: its key in the result ("METHOD path" as the scenario wrote it) and its k6 tag. */
export interface Endpoint {
  key: string;
  /** The `endpoint` tag: the key, commas escaped (a threshold's sub-metric criteria are split on commas). */
  tag: string;
}

/** What one run of a script measures: one variant of one scenario, resolved at init. */
export interface Run {
  scenario: Scenario;
  variant: Variant;
  /** The variant's model, or the scenario's. */
  model: LoadModel;
  /** The variant's requests, or the scenario's. */
  requests: readonly RequestSpec[];
  /** The requests repeated by weight: request n is wheel[n % wheel.length], as in the Node runner. */
  wheel: readonly RequestSpec[];
  baseUrl: string;
  endpoints: readonly Endpoint[];
}

const endpointKey = (spec: Pick<RequestSpec, 'method' | 'path'>) => `${spec.method} ${spec.path}`;
const endpointOf = (key: string): Endpoint => ({ key, tag: key.replace(/,/g, '%2C') });

/** Fills `{n}` (a counter: a new key each time) and `{nK}` (the counter modulo K), as the Node runner. */
export function expandPath(path: string, n: number): string {
  return path.replace(/\{n(\d*)\}/g, (_, modulo: string) => String(modulo ? n % Number(modulo) : n));
}

function targetUrl(target: Target, variant: string): string {
  const required = (name: string, what: string) => {
    const value = __ENV[name];
    if (!value) {
      throw new Error(`variant "${variant}" targets ${target} (${what}): set -e ${name}=http://host:port`);
    }
    return trimmed(value);
  };
  switch (target) {
    case 'site':
      return BASE_URL;
    case 'movie-lb':
      return MOVIE_URL;
    case 'movie-direct':
      return required('MOVIE_DIRECT_URL', 'one movie-api replica, bypassing nginx');
    case 'woody-direct':
      return required('WOODY_DIRECT_URL', 'one woody-api replica, bypassing nginx');
    case 'reference-node':
    case 'reference-nginx':
    case 'reference-proxy':
      return required(
        'REFERENCE_URL',
        'a reference server you start yourself: the Node runner starts its own',
      );
  }
}

/**
 * The variant this run measures: `-e VARIANT="<name>"`, by default the scenario's first. k6 cannot change
 * replicas or environment: deploy the variant first. Fails at init on an unknown name or a missing URL.
 */
export function prepare(scenario: Scenario): Run {
  const wanted = __ENV.VARIANT;
  const variant = wanted ? scenario.variants.find((v) => v.name === wanted) : scenario.variants[0];
  if (!variant) {
    const known = scenario.variants.map((v) => `"${v.name}"`).join(', ');
    throw new Error(`${scenario.name}: no variant named "${wanted ?? ''}"; known variants: ${known}`);
  }
  const model = variant.model ?? scenario.model;
  const requests = variant.requests ?? scenario.requests;
  const wheel = requests.flatMap((spec) => Array<RequestSpec>(Math.max(0, spec.weight ?? 1)).fill(spec));
  if (model.kind !== 'page' && wheel.length === 0) {
    throw new Error(`${scenario.name} / ${variant.name}: a ${model.kind} model needs requests, it has none`);
  }
  const keys =
    model.kind === 'page'
      ? [endpointKey({ method: 'GET', path: model.path }), PAGE_ASSETS]
      : [...new Set(requests.map(endpointKey))];
  return {
    scenario,
    variant,
    model,
    requests,
    wheel,
    baseUrl: targetUrl(variant.target, variant.name),
    endpoints: keys.map(endpointOf),
  };
}

/** k6 wants a whole number of iterations per time unit: 2.5/s becomes 25 per 10 s. */
function wholeRate(ratePerSecond: number): { rate: number; timeUnit: string } {
  for (const seconds of [1, 10, 100, 1000]) {
    if (Number.isInteger(ratePerSecond * seconds))
      return { rate: ratePerSecond * seconds, timeUnit: `${seconds}s` };
  }
  return { rate: Math.round(ratePerSecond * 1000), timeUnit: '1000s' };
}

/** The load model as a k6 executor. */
export function executorFor(model: LoadModel): K6Scenario {
  switch (model.kind) {
    case 'closed':
      // `connections` clients, each sending its next request when the previous answered.
      return { executor: 'constant-vus', vus: model.connections, duration: `${model.durationSeconds}s` };
    case 'open': {
      // The Node runner's open model: a request starts at each slot whatever the answers do. k6 starts an
      // iteration on time if a VU is free, and drops the slot otherwise (dropped_iterations).
      const preAllocatedVUs = Math.max(10, Math.ceil(model.ratePerSecond));
      return {
        executor: 'constant-arrival-rate',
        ...wholeRate(model.ratePerSecond),
        duration: `${model.durationSeconds}s`,
        preAllocatedVUs,
        maxVUs: 10 * preAllocatedVUs,
      };
    }
    case 'burst':
    case 'stampede':
      // Every VU sends its one request as the scenario starts, each on its own connection.
      return { executor: 'per-vu-iterations', vus: model.requests, iterations: 1 };
    case 'page':
      return { executor: 'per-vu-iterations', vus: 1, iterations: 1 };
  }
}

/** The scenario's warm-up, or -e WARMUP_SECONDS=… (0: none). */
function warmupSeconds(run: Run): number {
  const fromEnv = Number(__ENV.WARMUP_SECONDS);
  return __ENV.WARMUP_SECONDS !== undefined && Number.isFinite(fromEnv)
    ? fromEnv
    : run.scenario.warmupSeconds;
}

export function k6Options(run: Run): Options {
  const thresholds: Record<string, Threshold[]> = {
    // The one real threshold: over 1% failed requests marks the run failed (k6 exits with 99); the result
    // file is written anyway.
    [`http_req_failed{${MEASURED}}`]: ['rate<0.01'],
    // The others always pass: declaring them makes k6 keep these sub-metrics for handleSummary.
    [`http_req_duration{${MEASURED}}`]: ['max>=0'],
    [`iteration_duration{scenario:${run.scenario.name}}`]: ['max>=0'],
  };
  for (const { tag } of run.endpoints) {
    thresholds[`http_req_duration{endpoint:${tag}}`] = ['max>=0'];
    thresholds[`http_reqs{endpoint:${tag}}`] = ['count>=0'];
    thresholds[`http_req_failed{endpoint:${tag}}`] = ['rate>=0'];
  }
  if (run.model.kind === 'open') thresholds.dropped_iterations = ['count>=0'];
  return {
    scenarios: { [run.scenario.name]: { ...executorFor(run.model), tags: { variant: run.variant.name } } },
    batchPerHost: CONNECTIONS_PER_HOST,
    // The page model's warm-up load: 6 MB from an origin limited to 300 kB/s takes about 20 s.
    setupTimeout: `${Math.ceil(warmupSeconds(run)) + 120}s`,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    thresholds,
  };
}

// --- Requests -------------------------------------------------------------------------------------------

/** What countAnswer reads of a response. */
interface Answer {
  status: number;
  error_code: number;
  headers: Record<string, string>;
}

/** k6's error codes (grafana.com/docs/k6/latest/javascript-api/error-codes) as the schema's kinds. */
function errorKind(code: number): ErrorKind {
  if (code === 1050 || code === 1211) return 'timeout';
  if (code === 1212) return 'refused';
  if (code === 1201 || code === 1220) return 'reset';
  return 'other';
}

function header(response: Answer, name: string): string | undefined {
  const found = Object.keys(response.headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : response.headers[found];
}

// A check's pass and fail counts reach handleSummary (root_group.checks) whatever its name, where a tagged
// sub-metric needs its tag values declared before the run: checks named after the status, the X-Instance
// and the X-Cache of each answer count them. k6 refuses "::" in a check name.
const INSTANCE = 'X-Instance: ';
const CACHE = 'X-Cache: ';
const ARROW = ' → ';
const NO_ANSWER = /^no answer \((\w+)\)$/;
const ERROR_KINDS: readonly ErrorKind[] = ['timeout', 'refused', 'reset', 'parse', 'other'];
const checkName = (name: string) => name.replace(/::/g, ':');

function countAnswer(key: string, response: Answer): void {
  const ok = response.status >= 200 && response.status <= 299;
  const outcome =
    response.status === 0 ? `no answer (${errorKind(response.error_code)})` : String(response.status);
  const checks: Record<string, () => boolean> = { [checkName(`${key}${ARROW}${outcome}`)]: () => ok };
  if (response.status !== 0) {
    checks[checkName(`${INSTANCE}${header(response, 'x-instance') ?? '(none)'}`)] = () => true;
    checks[checkName(`${CACHE}${header(response, 'x-cache') ?? 'none'}`)] = () => true;
  }
  check(response, checks);
}

function tagsFor(key: string, measured: boolean): Record<string, string> {
  // `name` groups the URLs of one endpoint ({n} makes a new URL each time) in k6's own outputs.
  return measured
    ? { name: key, endpoint: endpointOf(key).tag, phase: 'measure' }
    : { name: key, phase: 'warm-up' };
}

/** Request n of the mix, as an http.batch request object, and its endpoint key. */
function requestFor(run: Run, n: number, measured: boolean) {
  const spec = run.wheel[n % run.wheel.length]!;
  const key = endpointKey(spec);
  const request = {
    method: spec.method,
    url: `${run.baseUrl}${expandPath(spec.path, n)}`,
    body: spec.body ?? null,
    params: { tags: tagsFor(key, measured), responseType: 'none' as const },
  };
  return { key, request };
}

/** The asset URLs a browser would fetch: img and script src, link href (stylesheet, icon, preload). */
export function assetUrls(html: string, pageUrl: string): string[] {
  const attribute = (tag: string, name: string) =>
    new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i')
      .exec(tag)
      ?.slice(1)
      .find((value) => value !== undefined);
  const origin = /^[a-z][\w+.-]*:\/\/[^/?#]+/i.exec(pageUrl)?.[0] ?? pageUrl;
  const directory = pageUrl.replace(/[?#].*$/, '').replace(/[^/]*$/, '');
  const resolve = (reference: string) => {
    const ref = reference.replace(/&amp;/g, '&').replace(/#.*$/, '').trim();
    if (ref === '') return undefined;
    if (/^https?:\/\//i.test(ref)) return ref;
    if (/^[a-z][\w+.-]*:/i.test(ref)) return undefined; // data:, blob:, mailto:…
    if (ref.startsWith('//')) return `${origin.split(':')[0]}:${ref}`;
    return ref.startsWith('/') ? `${origin}${ref}` : `${directory}${ref}`;
  };
  const urls: string[] = [];
  const tags = /<(img|script|link)\b[^>]*>/gi;
  for (let found = tags.exec(html); found !== null; found = tags.exec(html)) {
    const [tag, name = ''] = found;
    const kind = name.toLowerCase();
    const reference =
      kind === 'link'
        ? /stylesheet|icon|preload/i.test(attribute(tag, 'rel') ?? '')
          ? attribute(tag, 'href')
          : undefined
        : attribute(tag, 'src');
    const url = reference === undefined ? undefined : resolve(reference);
    if (url !== undefined) urls.push(url);
  }
  return [...new Set(urls)];
}

/** One page load like a browser with an empty cache: the HTML, then all its assets at once. */
function loadPage(run: Run, path: string, measured: boolean): void {
  const pageKey = endpointKey({ method: 'GET', path });
  const pageUrl = `${run.baseUrl}${path}`;
  const started = Date.now();
  const page = http.get(pageUrl, { tags: tagsFor(pageKey, measured) });
  const html = typeof page.body === 'string' ? page.body : '';
  const assets = http.batch(
    assetUrls(html, pageUrl).map((url) => ({
      method: 'GET',
      url,
      params: { tags: tagsFor(PAGE_ASSETS, measured), responseType: 'none' as const },
    })),
  );
  if (!measured) return;
  pageLoad.add(Date.now() - started);
  countAnswer(pageKey, page);
  for (const asset of assets) countAnswer(PAGE_ASSETS, asset);
}

/**
 * setup(): the Node runner's warm-up, unmeasured (its requests carry no `endpoint` tag): closed and open
 * models, unless the variant's cache is cold, for the scenario's warmupSeconds, six requests at a time; the
 * page model loads the page once (it fills the cdn). Burst and stampede have none.
 */
export function warmUp(run: Run): void {
  if (run.model.kind === 'page') {
    if (__ENV.WARMUP_SECONDS !== '0') loadPage(run, run.model.path, false);
    return;
  }
  if ((run.model.kind !== 'closed' && run.model.kind !== 'open') || run.variant.cache === 'cold') return;
  const until = Date.now() + warmupSeconds(run) * 1000;
  let n = WARMUP_COUNTER;
  while (Date.now() < until) {
    http.batch(Array.from({ length: CONNECTIONS_PER_HOST }, () => requestFor(run, n++, false).request));
  }
}

/** The default function: one iteration is one request (the page model: one page load). */
export function measure(run: Run): void {
  if (run.model.kind === 'page') return loadPage(run, run.model.path, true);
  const { key, request } = requestFor(run, exec.scenario.iterationInTest, true);
  countAnswer(key, http.request(request.method, request.url, request.body, request.params));
}

// --- handleSummary ----------------------------------------------------------------------------------------

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
