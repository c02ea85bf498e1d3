import type { Scenario, Variant } from './types.js';

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

export const tutorial: Scenario = {
  name: 'tutorial',
  title: "The nginx tutorial's bench: 500 parallel GET /moviesbytitle",
  expectation: 'Through the load balancer the same 500 requests finish sooner, spread over the replicas.',
  model: { kind: 'burst', requests: 500 },
  requests: [{ method: 'GET', path: '/moviesbytitle?title=The%20Good%20Dinosaur' }],
  warmupSeconds: 0,
  repeats: 3,
  sections: ['per-replica'],
  variants: [
    // No cache: the tutorial measured the service, not a cache.
    { name: 'one replica', movieReplicas: 2, movieEnv: { CACHE_ENABLED: 'false' }, target: 'movie-direct' },
    { name: 'load balancer', movieReplicas: 2, movieEnv: { CACHE_ENABLED: 'false' }, target: 'movie-lb' },
  ],
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

export const scenarios: readonly Scenario[] = [overhead, baseline, replicas, cache, tutorial, offload];

/** The scenario as a --quick run uses it. */
export function forRun(scenario: Scenario, quick: boolean): Scenario {
  return quick && scenario.quick ? { ...scenario, ...scenario.quick } : scenario;
}
