import { fileURLToPath } from 'node:url';
import { spawnService } from '@scale-lab/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { newCache, useRedis } from './helper.js';

const worker = fileURLToPath(new URL('./stampede-worker.ts', import.meta.url));
const { redis } = useRedis();

interface WorkerResult {
  statuses: string[];
  values: { producedBy: number }[];
  finishedMs: number;
}

/** `replicas` processes × `calls` concurrent requests for one key, all released at the same instant. */
async function stampede(replicas: number, calls: number, env: Record<string, string>) {
  const startAt = Date.now() + 1500; // time for every process to start and connect
  const children = Array.from({ length: replicas }, () =>
    spawnService(worker, {
      REDIS_URL: redis().url,
      CALLS: String(calls),
      START_AT: String(startAt),
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
  const codes = await Promise.all(children.map((child) => child.exited));
  expect(codes, children.map((child) => child.output()).join('\n')).toEqual(children.map(() => 0));
  return children.map((child) => JSON.parse(child.output()) as WorkerResult);
}

describe('stampede protection across replicas', () => {
  it.each([1, 2, 3])(
    'runs the producer once for 4 processes × 50 concurrent cold requests (round %i)',
    async (round) => {
      const counter = `runs-${round}-${Date.now()}`;
      const results = await stampede(4, 50, {
        NAMESPACE: `stampede-${round}-${Date.now()}`,
        KEY: 'cold',
        PRODUCER_MS: '300',
        COUNTER: counter,
      });
      const client = new Redis(redis().url);
      expect(await client.get(counter)).toBe('1');
      client.disconnect();
      const all = results.flatMap((result) => result.values);
      expect(all).toHaveLength(200);
      expect(new Set(all.map((value) => value.producedBy)).size).toBe(1); // everyone got the one value
      expect(
        results.flatMap((result) => result.statuses).every((status) => status === 'miss' || status === 'hit'),
      ).toBe(true);
      // Waiters get the value soon after it lands: well within producer time + a few poll intervals.
      for (const result of results) expect(result.finishedMs).toBeLessThan(300 + 400);
    },
    30_000,
  );

  it('refreshes a stale value once while 4 processes × 50 requests are all served from the cache', async () => {
    const namespace = `swr-${Date.now()}`;
    const counter = `swr-runs-${Date.now()}`;
    // Fill, then let the value go stale (ttl 1 s, grace 30 s).
    await stampede(1, 1, {
      NAMESPACE: namespace,
      KEY: 'k',
      PRODUCER_MS: '0',
      COUNTER: `${counter}-fill`,
      STALE: '1',
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const results = await stampede(4, 50, {
      NAMESPACE: namespace,
      KEY: 'k',
      PRODUCER_MS: '200',
      COUNTER: counter,
      STALE: '1',
    });
    const statuses = results.flatMap((result) => result.statuses);
    expect(statuses.filter((status) => status === 'stale')).toHaveLength(200);
    const client = new Redis(redis().url);
    await expect.poll(() => client.get(counter), { timeout: 3000 }).toBe('1');
    client.disconnect();
  }, 30_000);
});

describe('with the cross-replica lock off (stampede demonstration)', () => {
  it('runs the producer once per process for 3 processes × 20 concurrent cold requests', async () => {
    const counter = `nolock-runs-${Date.now()}`;
    const results = await stampede(3, 20, {
      NAMESPACE: `nolock-${Date.now()}`,
      KEY: 'cold',
      PRODUCER_MS: '1000', // long enough that every process looks up before any value lands
      COUNTER: counter,
      CROSS_REPLICA_LOCK: 'false',
    });
    const client = new Redis(redis().url);
    expect(await client.get(counter)).toBe('3');
    client.disconnect();
    // In-process single flight still holds: each process's 20 callers share its own producer's value.
    for (const result of results) {
      expect(result.values).toHaveLength(20);
      expect(new Set(result.values.map((value) => value.producedBy)).size).toBe(1);
      expect(result.statuses.every((status) => status === 'miss')).toBe(true);
    }
    expect(new Set(results.map((result) => result.values[0]!.producedBy)).size).toBe(3);
  }, 30_000);
});

describe('stale-while-revalidate in one process', () => {
  it('serves the stale value at once and refreshes it exactly once', async () => {
    const { cache } = await newCache(redis().url);
    let version = 1;
    let refreshes = 0;
    // The refresh waits until the test lets it finish: a read that waited for it could not complete before.
    let finishRefresh = () => {};
    let refreshMayFinish: Promise<void> = Promise.resolve();
    const options = { ttl: 200, jitter: 0, staleWhileRevalidate: '10s' };
    const producer = async () => {
      refreshes++;
      await refreshMayFinish;
      return version;
    };
    await cache.getOrSet('swr', producer, options);
    refreshes = 0;
    version = 2;
    refreshMayFinish = new Promise((resolve) => (finishRefresh = resolve));
    await expect
      .poll(async () => (await cache.fetch('swr', producer, options)).status, { timeout: 2000 })
      .toBe('stale');
    const reads = await Promise.all(Array.from({ length: 20 }, () => cache.fetch('swr', producer, options)));
    expect(reads.every((read) => read.status === 'stale' && read.value === 1)).toBe(true); // nobody waited
    finishRefresh();
    await expect
      .poll(async () => (await cache.fetch('swr', producer, options)).value, { timeout: 2000 })
      .toBe(2);
    expect(refreshes).toBe(1);
  });
});
