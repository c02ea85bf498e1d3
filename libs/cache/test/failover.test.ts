import { startRedis } from '@scale-lab/local-services';
import { describe, expect, it } from 'vitest';
import { createCache } from '../src/index.js';
import { newCache, sleep } from './helper.js';

const options = { ttl: '60s', name: 'failover' };

describe('fail-open when Redis goes away', () => {
  it('keeps answering while Redis is killed, warns rarely, and hits again once Redis is back', async () => {
    const redis = await startRedis();
    try {
      const { cache, warnings } = await newCache(redis.url);
      await cache.getOrSet('k', async () => 'cached', options);
      expect((await cache.fetch('k', async () => 'x', options)).status).toBe('hit');

      await redis.kill();
      const statuses: string[] = [];
      const added: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        const outcome = await cache.fetch('k', async () => 'from producer', options);
        added.push(performance.now() - started);
        statuses.push(outcome.status);
        expect(outcome.value).toBe(i === 0 && outcome.status === 'hit' ? 'cached' : 'from producer');
      }
      expect(statuses.filter((status) => status === 'bypass').length).toBeGreaterThanOrEqual(195);
      added.sort((a, b) => a - b);
      expect(added[Math.floor(added.length * 0.99)]).toBeLessThan(5);
      expect(warnings.length).toBeLessThanOrEqual(1);

      await redis.restart();
      const back = performance.now();
      await expect
        .poll(async () => (await cache.fetch('k', async () => 'fresh', options)).status, {
          timeout: 3000,
          interval: 50,
        })
        .toMatch(/hit|miss/);
      expect(performance.now() - back).toBeLessThan(3000);
      await cache.getOrSet('again', async () => 1, options);
      expect((await cache.fetch('again', async () => 2, options)).status).toBe('hit');
    } finally {
      await redis.stop();
    }
  }, 30_000);

  it('bounds every call by the operation timeout while Redis is frozen, then skips it (breaker)', async () => {
    const redis = await startRedis();
    try {
      const { cache, warnings } = await newCache(redis.url, { operationTimeout: 50, breakerCooldown: '5s' });
      await cache.getOrSet('k', async () => 'cached', options);
      redis.freeze();
      const durations: number[] = [];
      for (let i = 0; i < 40; i++) {
        const started = performance.now();
        const outcome = await cache.fetch('k', async () => 'from producer', options);
        durations.push(performance.now() - started);
        expect(outcome.value).toBe('from producer');
        expect(outcome.status).toBe('bypass');
      }
      for (const duration of durations) expect(duration).toBeLessThan(50 + 40);
      // After a few timeouts the breaker is open: the rest add about nothing.
      expect(durations.slice(10).every((duration) => duration < 1)).toBe(true);
      expect(warnings.length).toBe(1);
      redis.thaw();
    } finally {
      await redis.stop();
    }
  }, 30_000);

  it('starts and serves with no Redis at all', async () => {
    const redis = await startRedis();
    const url = redis.url;
    await redis.stop(); // nothing listens there now
    const cache = createCache({ redisUrl: url, namespace: 'never-connected' });
    try {
      const outcome = await cache.fetch('k', async () => 'works', options);
      expect(outcome).toMatchObject({ value: 'works', status: 'bypass' });
      await sleep(100);
      expect((await cache.fetch('k', async () => 'still', options)).value).toBe('still');
    } finally {
      await cache.close();
    }
  });
});
