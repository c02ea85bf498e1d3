import { Counter, Histogram, Registry } from 'prom-client';

export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass';

/** Labels are bounded: the definition's name and an outcome, never a key (keys hold user input). */
export function createCacheMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by definition and result: hit, miss, stale (served while refreshing) or bypass',
      labelNames: ['name', 'result'] as const,
      registers,
    }),
    producerRuns: new Counter({
      name: 'cache_producer_runs_total',
      help: 'Times the real work (the producer) ran',
      labelNames: ['name'] as const,
      registers,
    }),
    lockWaits: new Counter({
      name: 'cache_lock_waits_total',
      help: 'Callers that waited for another replica to produce a value, by outcome',
      labelNames: ['name', 'outcome'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'cache_errors_total',
      help: 'Redis operations that failed or timed out (the call went on without the cache)',
      labelNames: ['operation'] as const,
      registers,
    }),
    producerSeconds: new Histogram({
      name: 'cache_producer_duration_seconds',
      help: 'Duration of the producer runs',
      labelNames: ['name'] as const,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
  };
}

export type CacheMetrics = ReturnType<typeof createCacheMetrics>;
