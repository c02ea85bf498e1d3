import { describe, expect, it } from 'vitest';
import { CacheKeyError, CacheOptionError, cached, createCache, type Cache } from '../src/index.js';
import { countingProducer, metricValues, newCache, sleep, useRedis } from './helper.js';

const { redis } = useRedis();

describe('getOrSet', () => {
  it('misses once, then hits, and the producer ran once', async () => {
    const { cache } = await newCache(redis().url);
    const producer = countingProducer({ answer: 42 });
    const first = await cache.fetch('k', producer, { ttl: '30s' });
    const second = await cache.fetch('k', producer, { ttl: '30s' });
    expect(first).toMatchObject({ value: { answer: 42 }, status: 'miss', collapsed: false });
    expect(second).toMatchObject({ value: { answer: 42 }, status: 'hit' });
    expect(producer.runs).toBe(1);
  });

  it('expires a value after its TTL', async () => {
    const { cache } = await newCache(redis().url);
    const producer = countingProducer('v');
    await cache.getOrSet('short', producer, { ttl: 150, jitter: 0 });
    expect((await cache.fetch('short', producer, { ttl: 150, jitter: 0 })).status).toBe('hit');
    await sleep(250);
    expect((await cache.fetch('short', producer, { ttl: 150, jitter: 0 })).status).toBe('miss');
    expect(producer.runs).toBe(2);
  });

  it('stores the entry with a PTTL of ttl·(1 ± jitter) + grace, in milliseconds', async () => {
    const { cache } = await newCache(redis().url);
    await cache.getOrSet('ttl', async () => 1, { ttl: '10s', jitter: 0.1, staleWhileRevalidate: '5s' });
    const pttl = await cache.storedTtl('ttl');
    expect(pttl).toBeGreaterThan(9000 + 5000 - 100);
    expect(pttl).toBeLessThanOrEqual(11_000 + 5000);
  });

  it('spreads expiries with jitter', async () => {
    const { cache } = await newCache(redis().url);
    const ttls: number[] = [];
    for (let i = 0; i < 20; i++) {
      await cache.getOrSet(`spread-${i}`, async () => i, { ttl: 10_000, jitter: 0.2 });
      ttls.push(await cache.storedTtl(`spread-${i}`));
    }
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(8000 - 50);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(12_000);
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(1000);
  });

  it('does not cache null unless negative caching is on, and never caches undefined', async () => {
    const { cache } = await newCache(redis().url);
    const nothing = countingProducer(null);
    await cache.getOrSet('null', nothing, { ttl: '30s' });
    await cache.getOrSet('null', nothing, { ttl: '30s' });
    expect(nothing.runs).toBe(2);
    const negative = countingProducer(null);
    await cache.getOrSet('negative', negative, { ttl: '30s', negativeTtl: '5s' });
    expect(await cache.fetch('negative', negative, { ttl: '30s', negativeTtl: '5s' })).toMatchObject({
      value: null,
      status: 'hit',
    });
    expect(negative.runs).toBe(1);
    const undef = countingProducer(undefined);
    await cache.getOrSet('undefined', undef, { ttl: '30s' });
    await cache.getOrSet('undefined', undef, { ttl: '30s' });
    expect(undef.runs).toBe(2);
  });

  it('lets a producer error reach the caller and caches nothing', async () => {
    const { cache } = await newCache(redis().url);
    await expect(
      cache.getOrSet('boom', async () => Promise.reject(new Error('boom')), { ttl: '30s' }),
    ).rejects.toThrow('boom');
    expect(await cache.fetch('boom', async () => 'fine', { ttl: '30s' })).toMatchObject({
      value: 'fine',
      status: 'miss',
    });
  });

  it('uses a custom serializer', async () => {
    const { cache } = await newCache(redis().url);
    const serializer = { serialize: (d: Date) => d.toISOString(), deserialize: (s: string) => new Date(s) };
    const date = new Date('2026-01-02T03:04:05.000Z');
    await cache.getOrSet('date', async () => date, { ttl: '30s', serializer });
    const again = await cache.getOrSet('date', async () => new Date(0), { ttl: '30s', serializer });
    expect(again).toBeInstanceOf(Date);
    expect(again.toISOString()).toBe(date.toISOString());
  });
});

describe('invalidation', () => {
  it('drops one key', async () => {
    const { cache } = await newCache(redis().url);
    await cache.getOrSet('a', async () => 'old', { ttl: '30s' });
    await cache.invalidate('a');
    expect(await cache.fetch('a', async () => 'new', { ttl: '30s' })).toMatchObject({
      value: 'new',
      status: 'miss',
    });
  });

  it('drops every entry with a tag, and only those', async () => {
    const { cache } = await newCache(redis().url);
    await cache.getOrSet('p1', async () => 'p1', { ttl: '30s', tags: ['products'] });
    await cache.getOrSet('p2', async () => 'p2', { ttl: '30s', tags: ['products', 'other'] });
    await cache.getOrSet('m1', async () => 'm1', { ttl: '30s', tags: ['movies'] });
    await cache.invalidateTag('products');
    expect((await cache.fetch('p1', async () => 'p1', { ttl: '30s', tags: ['products'] })).status).toBe(
      'miss',
    );
    expect(
      (await cache.fetch('p2', async () => 'p2', { ttl: '30s', tags: ['products', 'other'] })).status,
    ).toBe('miss');
    expect((await cache.fetch('m1', async () => 'm1', { ttl: '30s', tags: ['movies'] })).status).toBe('hit');
  });

  it('clears a whole namespace and no other', async () => {
    const { cache: woody } = await newCache(redis().url);
    const { cache: movie } = await newCache(redis().url);
    await woody.getOrSet('x', async () => 1, { ttl: '30s' });
    await movie.getOrSet('x', async () => 2, { ttl: '30s' });
    await woody.clear();
    expect((await woody.fetch('x', async () => 1, { ttl: '30s' })).status).toBe('miss');
    expect(await movie.fetch('x', async () => 0, { ttl: '30s' })).toMatchObject({ value: 2, status: 'hit' });
  });

  it('is seen by every replica at once (another client, same Redis)', async () => {
    const { cache: replicaA } = await newCache(redis().url, { namespace: 'shared-inv' });
    const { cache: replicaB } = await newCache(redis().url, { namespace: 'shared-inv' });
    await replicaA.getOrSet('k', async () => 'old', { ttl: '30s', tags: ['t'] });
    expect(await replicaB.getOrSet('k', async () => 'unused', { ttl: '30s', tags: ['t'] })).toBe('old');
    await replicaA.invalidateTag('t');
    expect(await replicaB.getOrSet('k', async () => 'new', { ttl: '30s', tags: ['t'] })).toBe('new');
  });

  it('never lets a producer that started before an invalidation write its old value back (1000 races)', async () => {
    const { cache } = await newCache(redis().url);
    let version = 0;
    let staleReads = 0;
    const pause = () => sleep(Math.random() < 0.5 ? 0 : 1);
    for (let i = 0; i < 1000; i++) {
      const key = `race-${i % 10}`;
      // The producer reads the "database" and takes a moment; meanwhile, maybe before, maybe after, the
      // data changes and the cache is invalidated, as a write route does.
      const produced = cache.getOrSet(
        key,
        async () => {
          const value = version;
          await pause();
          return value;
        },
        { ttl: '30s', tags: ['race'] },
      );
      const changed = (async () => {
        await pause();
        version++;
        // Both ways of invalidating: by key (fenced writes) and by tag (entries carry their tags' generations).
        await (i % 2 === 0 ? cache.invalidate(key) : cache.invalidateTag('race'));
      })();
      await Promise.all([produced, changed]);
      const read = await cache.getOrSet(key, async () => version, { ttl: '30s', tags: ['race'] });
      if (read !== version) staleReads++;
    }
    expect(staleReads).toBe(0);
  }, 60_000);
});

describe('keys', () => {
  it('gives one key for objects whose properties come in another order', async () => {
    const { cache } = await newCache(redis().url);
    const search = cache.wrap(async (query: { a: number; b: number }) => query.a + query.b, {
      name: 'search',
      ttl: '30s',
    });
    expect(search.keyFor({ a: 1, b: 2 })).toBe(search.keyFor({ b: 2, a: 1 } as { a: number; b: number }));
    expect(await search.fetch({ a: 1, b: 2 })).toMatchObject({ status: 'miss' });
    expect(await search.fetch({ b: 2, a: 1 } as { a: number; b: number })).toMatchObject({
      status: 'hit',
      value: 3,
    });
  });

  it('never lets two arguments share an entry (the lab keyed heavy?name=A and B alike)', async () => {
    const { cache } = await newCache(redis().url);
    const heavy = cache.wrap(async (name: string) => `result for ${name}`, { name: 'heavy', ttl: '30s' });
    expect(await heavy('A')).toBe('result for A');
    expect(await heavy('B')).toBe('result for B');
    const keys = new Set(
      ['A', 'B', 'a', 'A ', '', '1', 1, [1], { 1: 1 }].map((name) => heavy.keyFor(name as string)),
    );
    expect(keys.size).toBe(9);
  });

  it('gives the decorator and the wrapper identical keys and values', async () => {
    const { cache } = await newCache(redis().url);
    class Catalogue {
      constructor(readonly cache: Cache) {}
      calls = 0;
      @cached({ ttl: '30s' })
      async find(id: number, options: { full: boolean }): Promise<string> {
        this.calls++;
        return `item ${id} ${options.full}`;
      }
    }
    const catalogue = new Catalogue(cache);
    expect(await catalogue.find(7, { full: true })).toBe('item 7 true');
    expect(await catalogue.find(7, { full: true })).toBe('item 7 true');
    expect(catalogue.calls).toBe(1);
    // Another instance on the same cache shares the entries and does not re-register the name.
    expect(await new Catalogue(cache).find(7, { full: true })).toBe('item 7 true');
    const { cache: other } = await newCache(redis().url);
    const wrapped = other.wrap(
      async (id: number, options: { full: boolean }) => `item ${id} ${options.full}`,
      { name: 'Catalogue.find', ttl: '30s' },
    );
    expect(wrapped.keyFor(7, { full: true })).toBe(
      cache.define({ name: 'probe', ttl: 1 }) && wrapped.keyFor(7, { full: true }),
    );
    expect(
      await cache.fetch(wrapped.keyFor(7, { full: true }), async () => 'unused', { ttl: '30s' }),
    ).toMatchObject({
      status: 'hit',
      value: 'item 7 true',
    });
  });

  it('refuses arguments it cannot serialize, and duplicate names', async () => {
    const { cache } = await newCache(redis().url);
    const fn = cache.wrap(async (_callback: () => void) => 1, { name: 'takes-a-function', ttl: '30s' });
    await expect(fn(() => undefined)).rejects.toBeInstanceOf(CacheKeyError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const withObject = cache.wrap(async (_o: object) => 1, { name: 'takes-an-object', ttl: '30s' });
    await expect(withObject(circular)).rejects.toBeInstanceOf(CacheKeyError);
    expect(() => cache.wrap(async () => 1, { name: 'takes-a-function', ttl: '30s' })).toThrow(
      /already exists/,
    );
  });
});

describe('options', () => {
  it('are checked at once, naming the option', () => {
    expect(() => createCache({ namespace: 'bad namespace' })).toThrow(CacheOptionError);
    expect(() => createCache({ namespace: 'ok', redisUrl: 'http://x' })).toThrow(/redisUrl/);
    expect(() => createCache({ namespace: 'ok', operationTimeout: 'soon' })).toThrow(/operationTimeout/);
    const cache = createCache({ namespace: 'ok' });
    expect(() => cache.wrap(async () => 1, { name: 'x', ttl: -5 })).toThrow(/ttl/);
    expect(() => cache.wrap(async () => 1, { name: 'y', ttl: '30s', jitter: 2 })).toThrow(/jitter/);
  });

  it('bypass to the producer when caching is off, through the same code path', async () => {
    const off = createCache({ namespace: 'off', redisUrl: redis().url, enabled: false });
    const producer = countingProducer('fresh');
    expect(await off.fetch('k', producer, { ttl: '30s' })).toMatchObject({
      value: 'fresh',
      status: 'bypass',
    });
    expect(await off.fetch('k', producer, { ttl: '30s' })).toMatchObject({ status: 'bypass' });
    expect(producer.runs).toBe(2);
    expect(createCache({ namespace: 'no-redis' }).enabled).toBe(false);
    await off.close();
  });
});

describe('metrics', () => {
  it('count every call exactly once by result, with no key in any label', async () => {
    const { cache, registry } = await newCache(redis().url);
    const producer = countingProducer('v');
    const secretKey = 'user-input-do-not-leak';
    await cache.fetch(secretKey, producer, { ttl: '30s', name: 'route' });
    await cache.fetch(secretKey, producer, { ttl: '30s', name: 'route' });
    await Promise.all(
      Array.from({ length: 5 }, () =>
        cache.fetch('cold', countingProducer('c', 30), { ttl: '30s', name: 'route' }),
      ),
    );
    const requests = (await metricValues(registry, 'cache_requests_total')).filter(
      (v) => v.labels.name === 'route',
    );
    const total = requests.reduce((sum, v) => sum + v.value, 0);
    expect(total).toBe(7);
    expect(requests.find((v) => v.labels.result === 'hit')?.value).toBe(1);
    expect(requests.find((v) => v.labels.result === 'miss')?.value).toBe(6);
    const producerRuns = (await metricValues(registry, 'cache_producer_runs_total')).find(
      (v) => v.labels.name === 'route',
    );
    expect(producerRuns?.value).toBe(2);
    expect(await registry.metrics()).not.toContain(secretKey);
  });
});
