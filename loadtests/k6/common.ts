// Shared by the k6 scripts, one per scenario: which variant runs, the k6 executor of its load model, and its
// requests (the same weighted mix and {n} counters as the Node runner). answers.ts records each answer so
// that summary.ts's handleSummary can write the project's result schema (version 2, runner "k6").
//
// k6 ≥ 0.57 runs TypeScript as is (it strips the types); `tsc -p loadtests/k6` checks these files against
// @types/k6 and the result schema. k6 cannot import npm packages: this file uses k6's own modules only.
//
// What a k6 result has that the Node runner's also has: requests, latency per endpoint and all together,
// statuses and errors per endpoint, answers per X-Instance and X-Cache, the open model's dropped slots.
// What it lacks: no timeline (k6's end-of-test summary has no per-second data; `k6 run --out json=…` has
// every sample), no generator CPU, no conservation check against the replicas' /metrics, no producer runs
// (stampede), no origin access log (offload), no per-request times in sending order (burst).

import exec from 'k6/execution';
import http from 'k6/http';
import { Trend } from 'k6/metrics';
import type { Options, Scenario as K6Scenario, Threshold } from 'k6/options';
import {
  requestWheel,
  type LoadModel,
  type RequestSpec,
  type Scenario,
  type Target,
  type Variant,
} from '../scenarios/index.ts';
import { countAnswer } from './answers.ts';

const trimmed = (url: string) => url.replace(/\/+$/, '');

/** Target "site": nginx's site port, front and /api/ → woody-api replicas (compose: http://proxy:8080). */
export const BASE_URL = trimmed(__ENV.BASE_URL || 'http://localhost');
/** Target "movie-lb": the tutorial's load balancer, nginx's movie port (compose: http://proxy:8000). */
export const MOVIE_URL = trimmed(__ENV.MOVIE_URL || 'http://localhost:8000');
/** Where handleSummary writes k6-<scenario>-<variant>.json; it must exist (compose k6 service: /results). */
export const RESULTS_DIR = __ENV.RESULTS_DIR || 'results/k6';

/** The tag of measured requests: warm-up requests in setup() carry phase "warm-up" instead. */
export const MEASURED = 'phase:measure';
/** The page model's assets, whatever their paths: one endpoint of the result. */
const PAGE_ASSETS = 'GET (page assets)';
/** The {n} counter of warm-up requests: far from the measured ones (0, 1, …), and ≡ 0 modulo 2, 5 and 10. */
const WARMUP_COUNTER = 1e9;
/** A browser opens at most six connections per host; the page model's http.batch does the same. */
export const CONNECTIONS_PER_HOST = 6;

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
  /** The requests repeated by weight, interleaved: request n is wheel[n % wheel.length], as in the Node runner. */
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
  const wheel = requestWheel(requests);
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
