import { startRedis, type LocalRedis } from '@scale-lab/local-services';
import { Registry } from 'prom-client';
import { afterAll, beforeAll } from 'vitest';
import { createCache, type Cache, type CacheOptions } from '../src/index.js';

export interface Warning {
  details: object;
  message: string;
}

/** One redis-server per test file (kill, freeze and restart are then the file's own business). */
export function useRedis(): { redis: () => LocalRedis } {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return { redis: () => redis };
}

let namespaceCounter = 0;

/** A cache on its own namespace, with its warnings and metrics at hand; closed after the file. */
export async function newCache(redisUrl: string, options: Partial<CacheOptions> = {}) {
  const warnings: Warning[] = [];
  const registry = new Registry();
  const cache = createCache({
    redisUrl,
    namespace: options.namespace ?? `t${process.pid}_${namespaceCounter++}`,
    registry,
    logger: { warn: (details, message) => warnings.push({ details, message }) },
    ...options,
  });
  afterAll(() => cache.close());
  await untilReady(cache);
  return { cache, warnings, registry };
}

/** The client connects in the background; a cache used before that just bypasses. Tests want it ready. */
export async function untilReady(cache: Cache): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { status } = await cache.fetch(`ready-probe-${Math.random()}`, async () => 1, {
      ttl: 1000,
      name: 'probe',
    });
    if (status !== 'bypass') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('cache did not connect to Redis within 5 s');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A producer that counts its runs and takes `ms`. */
export function countingProducer<T>(value: T, ms = 0) {
  const producer = Object.assign(
    async () => {
      producer.runs++;
      if (ms > 0) await sleep(ms);
      return value;
    },
    { runs: 0 },
  );
  return producer;
}

export async function metricValues(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as { labels: Record<string, string>; value: number }[];
}
