import type { Scenario } from './types.js';

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

export const baseline: Scenario = {
  name: 'baseline',
  title: 'Baseline: one woody-api replica, no cache',
  expectation: 'The reference every other number is compared with.',
  model: { kind: 'closed', connections: 8, durationSeconds: 5 },
  requests: [
    { method: 'GET', path: '/api/misc/time', weight: 4 },
    { method: 'GET', path: '/api/misc/heavy?name=baseline-{n}', weight: 1 },
    { method: 'GET', path: '/api/products/last', weight: 1 },
  ],
  warmupSeconds: 1,
  repeats: 3,
  variants: [
    {
      name: '1 replica',
      woodyReplicas: 1,
      woodyEnv: { ...sleepHeavy(500), DB_SLOW_MS: '500' },
      target: 'site',
    },
  ],
  quick: { model: { kind: 'closed', connections: 8, durationSeconds: 1.5 }, warmupSeconds: 0.3 },
};

const heavyRequests = [{ method: 'GET', path: '/api/misc/heavy?name=replicas-{n}' }] as const;

export const replicas: Scenario = {
  name: 'replicas',
  title: 'Replicas: heavy requests on 1 to 8 replicas, same offered load',
  expectation: 'In sleep mode throughput grows with replicas; in cpu mode it stops at the number of cores.',
  // 16 clients keep 8 replicas busy; on one replica each waits 16 × 100 ms, so runs last several cycles.
  model: { kind: 'closed', connections: 16, durationSeconds: 6 },
  requests: heavyRequests,
  warmupSeconds: 1,
  repeats: 3,
  variants: [
    ...[1, 2, 4, 8].map((n) => ({
      name: `sleep × ${n}`,
      woodyReplicas: n,
      woodyEnv: sleepHeavy(100),
      target: 'site' as const,
    })),
    ...[1, 2].map((n) => ({
      name: `cpu × ${n}`,
      woodyReplicas: n,
      woodyEnv: cpuHeavy,
      target: 'site' as const,
    })),
  ],
  quick: {
    model: { kind: 'closed', connections: 6, durationSeconds: 2 },
    warmupSeconds: 0.3,
    variants: [
      ...[1, 3].map((n) => ({
        name: `sleep × ${n}`,
        woodyReplicas: n,
        woodyEnv: sleepHeavy(100),
        target: 'site' as const,
      })),
      ...[1, 2].map((n) => ({
        name: `cpu × ${n}`,
        woodyReplicas: n,
        woodyEnv: cpuHeavy,
        target: 'site' as const,
      })),
    ],
  },
};

const cached = (ms: number, enabled: boolean) => ({
  ...sleepHeavy(ms),
  DB_SLOW_MS: String(ms),
  CACHE_ENABLED: String(enabled),
});

export const cache: Scenario = {
  name: 'cache',
  title: 'Cache: heavy and products/last with the cache off, cold and warm',
  expectation: 'A warm hit answers in about a millisecond where a miss takes the whole slow computation.',
  model: { kind: 'closed', connections: 8, durationSeconds: 4 },
  // A handful of names: the warm-up fills them, so the warm run measures hits.
  requests: [
    { method: 'GET', path: '/api/misc/heavy?name=cached-{n5}' },
    { method: 'GET', path: '/api/products/last' },
  ],
  warmupSeconds: 2,
  repeats: 3,
  variants: [
    { name: 'off', woodyReplicas: 3, woodyEnv: cached(300, false), target: 'site', cache: 'off' },
    { name: 'cold', woodyReplicas: 3, woodyEnv: cached(300, true), target: 'site', cache: 'cold' },
    { name: 'warm', woodyReplicas: 3, woodyEnv: cached(300, true), target: 'site', cache: 'warm' },
  ],
  quick: {
    model: { kind: 'closed', connections: 8, durationSeconds: 1 },
    warmupSeconds: 0.5,
    variants: [
      { name: 'off', woodyReplicas: 2, woodyEnv: cached(200, false), target: 'site', cache: 'off' },
      { name: 'cold', woodyReplicas: 2, woodyEnv: cached(200, true), target: 'site', cache: 'cold' },
      { name: 'warm', woodyReplicas: 2, woodyEnv: cached(200, true), target: 'site', cache: 'warm' },
    ],
  },
};

export const tutorial: Scenario = {
  name: 'tutorial',
  title: "The nginx tutorial's bench: 500 parallel GET /moviesbytitle",
  expectation: 'Through the load balancer the same 500 requests finish sooner, spread over the replicas.',
  model: { kind: 'burst', requests: 500 },
  requests: [{ method: 'GET', path: '/moviesbytitle?title=The%20Good%20Dinosaur' }],
  warmupSeconds: 0,
  repeats: 3,
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
  variants: [
    { name: 'origin', target: 'site', assets: 'origin' },
    // Its warm-up page load fills the cdn; the measured loads should not reach the origin for the image.
    { name: 'cdn', target: 'site', assets: 'cdn' },
  ],
};

export const scenarios: readonly Scenario[] = [baseline, replicas, cache, tutorial, offload];

/** The scenario as a --quick run uses it. */
export function forRun(scenario: Scenario, quick: boolean): Scenario {
  return quick && scenario.quick ? { ...scenario, ...scenario.quick } : scenario;
}
