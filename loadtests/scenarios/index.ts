import type { RequestSpec, Scenario, Variant } from './types.js';

export type * from './types.js';

// Sleep-mode heavy work of HEAVY_MS with one computation at a time per replica: the lab's single-threaded
// server. It scales with replicas on any machine, because replicas wait, they do not compute.
const sleepHeavy = (ms: number) => ({
  HEAVY_MODE: 'sleep',
  HEAVY_MS: String(ms),
  HEAVY_CONCURRENCY: '1',
  CACHE_ENABLED: 'false',
});
// cpu-mode heavy work really computes: on 2 cores, 2 replicas can at best double one.
const cpuHeavy = {
  HEAVY_MODE: 'cpu',
  HEAVY_CPU_ITERATIONS: '350000',
  HEAVY_CONCURRENCY: '1',
  CACHE_ENABLED: 'false',
};

// The request path itself, next to servers that cost almost nothing: what our code adds per request.
export const overhead: Scenario = {
  name: 'overhead',
  title: 'Overhead: woody-api /api/misc/time direct and through nginx, next to a bare Node server',
  expectation:
    'woody-api answers close to a bare Node server, and nginx in front costs about what it costs a bare server.',
  model: { kind: 'closed', connections: 16, durationSeconds: 3 },
  requests: [{ method: 'GET', path: '/api/misc/time' }],
  warmupSeconds: 1,
  repeats: 3,
  sections: ['overhead'],
  variants: [
    { name: 'nginx → bare Node', target: 'reference-proxy' },
    { name: 'woody direct', woodyReplicas: 1, target: 'woody-direct' },
    { name: 'woody through nginx', woodyReplicas: 1, target: 'site' },
  ],
  quick: { model: { kind: 'closed', connections: 16, durationSeconds: 1 }, warmupSeconds: 0.3 },
};

const at = (path: string, ratePerSecond: number, durationSeconds: number) => ({
  requests: [{ method: 'GET' as const, path }],
  model: { kind: 'open' as const, ratePerSecond, durationSeconds },
});
const baselineEnv = { ...sleepHeavy(100), DB_SLOW_MS: '100' };
const baselineVariants = (seconds: number) => [
  {
    name: 'time @ 100/s',
    woodyReplicas: 1,
    woodyEnv: baselineEnv,
    target: 'site' as const,
    ...at('/api/misc/time', 100, seconds),
  },
  // One replica computes one heavy request at a time (100 ms): 5/s keeps it half busy, so nothing queues.
  {
    name: 'heavy @ 5/s',
    woodyReplicas: 1,
    woodyEnv: baselineEnv,
    target: 'site' as const,
    ...at('/api/misc/heavy?name=baseline-{n}', 5, seconds),
  },
  {
    name: 'products/last @ 5/s',
    woodyReplicas: 1,
    woodyEnv: baselineEnv,
    target: 'site' as const,
    ...at('/api/products/last', 5, seconds),
  },
];

export const baseline: Scenario = {
  name: 'baseline',
  title: 'Baseline: each woody-api endpoint on one replica, no cache, at a fixed rate',
  expectation: 'The reference every other number is compared with: what one request of each kind costs.',
  model: { kind: 'open', ratePerSecond: 100, durationSeconds: 5 },
  requests: [{ method: 'GET', path: '/api/misc/time' }],
  warmupSeconds: 1,
  repeats: 3,
  variants: baselineVariants(5),
  quick: { warmupSeconds: 0.3, variants: baselineVariants(1) },
};

const heavyRequests = [{ method: 'GET', path: '/api/misc/heavy?name=replicas-{n}' }] as const;
const sleepReplicas = (n: number) => ({
  name: `sleep × ${n}`,
  woodyReplicas: n,
  woodyEnv: sleepHeavy(100),
  target: 'site' as const,
  group: 'sleep',
});
const cpuReplicas = (n: number) => ({
  name: `cpu × ${n}`,
  woodyReplicas: n,
  woodyEnv: cpuHeavy,
  target: 'site' as const,
  group: 'cpu',
});

export const replicas: Scenario = {
  name: 'replicas',
  title: 'Replicas: heavy requests on 1 to 8 replicas, same offered load',
  expectation: 'In sleep mode throughput grows with replicas; in cpu mode it stops at the number of cores.',
  // 16 clients keep 8 replicas busy; on one replica each waits 16 × 100 ms, so runs last several cycles.
  model: { kind: 'closed', connections: 16, durationSeconds: 6 },
  requests: heavyRequests,
  warmupSeconds: 1,
  repeats: 3,
  sections: ['scaling', 'per-replica'],
  // cpu × 3 is past the 2 cores: the point that shows the curve bend, so the scaling model has a κ to fit.
  variants: [...[1, 2, 4, 8].map(sleepReplicas), ...[1, 2, 3].map(cpuReplicas)],
  quick: {
    model: { kind: 'closed', connections: 6, durationSeconds: 1.5 },
    warmupSeconds: 0.3,
    variants: [...[1, 2, 3].map(sleepReplicas), ...[1, 2, 3].map(cpuReplicas)],
  },
};

const cached = (ms: number, enabled: boolean) => ({
  ...sleepHeavy(ms),
  DB_SLOW_MS: String(ms),
  CACHE_ENABLED: String(enabled),
});
const cacheMix = [
  { method: 'GET', path: '/api/misc/heavy?name=cached-{n5}' },
  { method: 'GET', path: '/api/products/last' },
] as const;
// Every first request asks for the same key at once, through the proxy, to every replica.
const stampedeKey = [{ method: 'GET', path: '/api/misc/heavy?name=stampede' }] as const;
const onThreeReplicas = { woodyReplicas: 3, target: 'site' } as const;
const cacheVariants = (seconds: number, closedSeconds: number): Variant[] => [
  {
    name: 'miss @ 6/s',
    ...onThreeReplicas,
    cache: 'off',
    woodyEnv: cached(300, false),
    model: { kind: 'open', ratePerSecond: 6, durationSeconds: seconds },
  },
  {
    // For the demonstration only: each replica runs its own producer (one per replica, not one in all).
    name: 'stampede, no cross-replica lock',
    ...onThreeReplicas,
    cache: 'cold',
    woodyEnv: { ...cached(300, true), CACHE_CROSS_REPLICA_LOCK: 'false' },
    requests: stampedeKey,
    model: { kind: 'stampede', requests: 60 },
  },
  {
    name: 'stampede',
    ...onThreeReplicas,
    cache: 'cold',
    woodyEnv: cached(300, true),
    requests: stampedeKey,
    model: { kind: 'stampede', requests: 60 },
  },
  {
    name: 'hit @ 200/s',
    ...onThreeReplicas,
    cache: 'warm',
    woodyEnv: cached(300, true),
    model: { kind: 'open', ratePerSecond: 200, durationSeconds: seconds },
  },
  {
    name: 'hits, closed',
    ...onThreeReplicas,
    cache: 'warm',
    woodyEnv: cached(300, true),
    model: { kind: 'closed', connections: 8, durationSeconds: closedSeconds },
  },
];

export const cache: Scenario = {
  name: 'cache',
  title: 'Cache: heavy and products/last missed, stampeded cold, and hit',
  expectation:
    'A hit answers in about a millisecond where a miss takes the whole slow computation; a cold stampede runs the producer once across all replicas.',
  model: { kind: 'closed', connections: 8, durationSeconds: 4 },
  // A handful of names: the warm-up fills them, so the warm variants measure hits.
  requests: cacheMix,
  warmupSeconds: 2,
  repeats: 3,
  sections: ['stampede', 'cache-status'],
  variants: cacheVariants(4, 4),
  quick: { warmupSeconds: 0.5, variants: cacheVariants(1.5, 1) },
};

// The tutorial's Flask works on one request at a time, so its Movie service queued and four replicas
// behind nginx rescued it. Ours answers 500 at once without queueing, so on one machine the balancer has
// nothing to rescue. Both truths, each in its group (speed-up = load balancer ÷ one replica): "trivial" is
// movie-api as it is; "queued" gives each request 10 ms of work, one at a time per replica (500 × 10 ms =
// 5 s on one replica, ~1.3 s on four). No cache in either: the tutorial measured the service, not a cache.
const TUTORIAL_REPLICAS = 4;
const TUTORIAL_WORK_MS = 10;
const tutorialGroups: { group: string; movieEnv: Record<string, string> }[] = [
  { group: 'trivial', movieEnv: { CACHE_ENABLED: 'false' } },
  {
    group: 'queued',
    movieEnv: {
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: String(TUTORIAL_WORK_MS),
      MOVIE_WORK_CONCURRENCY: '1',
    },
  },
];
// Both variants of a group run on the same four replicas (no restart between them); movie-direct loads the
// first one only, bypassing nginx.
const tutorialVariants: Variant[] = tutorialGroups.flatMap(({ group, movieEnv }) => [
  {
    name: `${group}, one replica`,
    group,
    movieReplicas: TUTORIAL_REPLICAS,
    movieEnv,
    target: 'movie-direct',
  },
  { name: `${group}, load balancer`, group, movieReplicas: TUTORIAL_REPLICAS, movieEnv, target: 'movie-lb' },
]);

export const tutorial: Scenario = {
  name: 'tutorial',
  title: "The nginx tutorial's bench: 500 parallel GET /moviesbytitle",
  expectation: `A trivial service that does not queue gains nothing from a load balancer on one machine; with ${TUTORIAL_WORK_MS} ms of work per request, one at a time per replica, the ${TUTORIAL_REPLICAS} replicas behind the load balancer finish the burst about ${TUTORIAL_REPLICAS}× sooner.`,
  model: { kind: 'burst', requests: 500 },
  requests: [{ method: 'GET', path: '/moviesbytitle?title=The%20Good%20Dinosaur' }],
  warmupSeconds: 0,
  repeats: 3,
  sections: ['scaling', 'per-replica'],
  variants: tutorialVariants,
  // 200 × 10 ms = 2 s per queued repeat on one replica.
  quick: { model: { kind: 'burst', requests: 200 } },
};

export const offload: Scenario = {
  name: 'offload',
  title: 'Static offload: the page and its 6 MB image, from the rate-limited origin or through the cdn tier',
  expectation:
    'Through the cdn the page loads without waiting for the rate-limited origin, which no longer serves the image.',
  model: { kind: 'page', path: '/' },
  requests: [],
  warmupSeconds: 0,
  repeats: 3,
  sections: ['offload', 'cache-status'],
  variants: [
    { name: 'origin', target: 'site', assets: 'origin' },
    // Its warm-up page load fills the cdn; the measured loads should not reach the origin for the image.
    { name: 'cdn', target: 'site', assets: 'cdn' },
  ],
};

// The cache on, with a one-second product summary: products/last reaches MariaDB about once a second and
// every heavy request (a new name each time) goes through Redis, so each frozen dependency shows where it
// is used; time uses neither.
const faultsEnv = { ...sleepHeavy(100), DB_SLOW_MS: '50', CACHE_ENABLED: 'true', CACHE_LAST_TTL_MS: '1000' };
const onFaults = { ...onThreeReplicas, woodyEnv: faultsEnv };
const mixAt = (durationSeconds: number) => ({ kind: 'open' as const, ratePerSecond: 107, durationSeconds });
// Restarting three replicas one after the other takes 15–20 s: each is back in the proxy's rotation only
// after nginx's fail_timeout (5 s). That variant's load lasts long enough to see the whole restart.
const faultVariants = (atSeconds: number, holdSeconds: number, restartSeconds: number): Variant[] => [
  { name: 'kill a replica', ...onFaults, fault: { kind: 'kill-replica', atSeconds } },
  { name: 'freeze Redis', ...onFaults, fault: { kind: 'freeze-redis', atSeconds, holdSeconds } },
  { name: 'freeze the database', ...onFaults, fault: { kind: 'freeze-database', atSeconds, holdSeconds } },
  { name: 'scale 3 → 2', ...onFaults, fault: { kind: 'scale-in', atSeconds } },
  {
    name: 'restart every replica',
    ...onFaults,
    fault: { kind: 'restart-all', atSeconds },
    model: mixAt(restartSeconds),
  },
];

export const faults: Scenario = {
  name: 'faults',
  title:
    'Faults: a replica killed, Redis and the database frozen, a scale-in and a restart of every replica, under load',
  expectation:
    'The proxy routes around a lost replica, a frozen dependency stalls only the requests that use it, and throughput comes back within seconds.',
  // Open: the load goes on at its rate while the stack stalls, so a stall shows as latency and errors.
  model: mixAt(12),
  requests: [
    { method: 'GET', path: '/api/misc/time', weight: 100 },
    { method: 'GET', path: '/api/products/last', weight: 5 },
    { method: 'GET', path: '/api/misc/heavy?name=faults-{n}', weight: 2 },
  ],
  warmupSeconds: 1,
  repeats: 3,
  sections: ['faults'],
  variants: faultVariants(5, 3, 28),
  // Three whole seconds before the fault to compare with, and three after a 2 s freeze to see recovery.
  quick: { model: mixAt(9), warmupSeconds: 0.5, repeats: 1, variants: faultVariants(3, 2, 24) },
};

export const scenarios: readonly Scenario[] = [
  overhead,
  baseline,
  replicas,
  cache,
  tutorial,
  offload,
  faults,
];

/**
 * The requests repeated by weight, interleaved (smooth weighted round robin, as nginx balances): with
 * weights 100, 5 and 2 the 5 and the 2 are spread over the cycle, not sent together at its end, so a fault
 * meets every kind of request whenever it starts. Both runners send the mix in this order.
 */
export function requestWheel(specs: readonly RequestSpec[]): RequestSpec[] {
  const weights = specs.map((spec) => Math.max(0, spec.weight ?? 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const credit = weights.map(() => 0);
  return Array.from({ length: total }, () => {
    weights.forEach((weight, i) => (credit[i] = credit[i]! + weight));
    const pick = credit.indexOf(Math.max(...credit));
    credit[pick] = credit[pick]! - total;
    return specs[pick]!;
  });
}

/** The scenario as a --quick run uses it. */
export function forRun(scenario: Scenario, quick: boolean): Scenario {
  return quick && scenario.quick ? { ...scenario, ...scenario.quick } : scenario;
}
