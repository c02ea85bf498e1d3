import { freePort } from '@scale-lab/local-services';
import { createTestDatabase } from '@scale-lab/testing';
import { describe, expect, inject, it } from 'vitest';
import { buildTestApp } from './helper.js';

const json = { accept: 'application/json' };
let namespaces = 0;
const cacheEnv = () => ({
  REDIS_URL: inject('redisUrl'),
  CACHE_NAMESPACE: `woody_test_${process.pid}_${namespaces++}`,
});

describe('woody-api with the cache', () => {
  it('computes heavy once per name, then answers from the cache (X-Cache MISS, then HIT)', async () => {
    const app = await buildTestApp({ ...cacheEnv(), HEAVY_MS: '300' });
    const miss = await app.inject({ url: '/api/misc/heavy?name=Alice', headers: json });
    expect(miss.headers['x-cache']).toBe('MISS');
    const started = performance.now();
    const hit = await app.inject({ url: '/api/misc/heavy?name=Alice', headers: json });
    expect(performance.now() - started).toBeLessThan(100);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['cache-status']).toBe('scale-lab; hit');
    expect(hit.json()).toEqual(miss.json());
    const other = await app.inject({ url: '/api/misc/heavy?name=Bob', headers: json });
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.json().name).toBe('Bob');
    expect(other.json().result).not.toBe(miss.json().result);
  });

  it('caches the slow products/last query and drops it when a product is added', async () => {
    const app = await buildTestApp({ ...cacheEnv(), DB_SLOW_MS: '200' });
    expect((await app.inject({ url: '/api/products/last' })).headers['x-cache']).toBe('MISS');
    const hit = await app.inject({ url: '/api/products/last', headers: json });
    expect(hit.headers['x-cache']).toBe('HIT');
    await app.inject({ method: 'POST', url: '/api/products', payload: { name: 'Nouveau' } });
    const after = await app.inject({ url: '/api/products/last', headers: json });
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.json().last.name).toBe('Nouveau');
    expect(after.json().count).toBe(hit.json().count + 1);
    await app.inject({ url: '/api/products?product=Legacy%20toy' });
    expect((await app.inject({ url: '/api/products/last', headers: json })).json().last.name).toBe(
      'Legacy toy',
    );
  });

  it('shares entries and invalidations between replicas', async () => {
    const env = {
      ...cacheEnv(),
      MYSQL_URL: await createTestDatabase(inject('mysqlUrl'), 'woody_cache_replicas'),
      DB_SLOW_MS: '100',
    };
    const replicaA = await buildTestApp({ ...env, INSTANCE_ID: 'a' });
    const replicaB = await buildTestApp({ ...env, INSTANCE_ID: 'b' });
    await replicaA.inject({ url: '/api/misc/heavy?name=shared' });
    expect((await replicaB.inject({ url: '/api/misc/heavy?name=shared' })).headers['x-cache']).toBe('HIT');
    await replicaA.inject({ url: '/api/products/last' });
    await replicaB.inject({ method: 'POST', url: '/api/products', payload: { name: 'Via B' } });
    const fromA = await replicaA.inject({ url: '/api/products/last', headers: json });
    expect(fromA.headers['x-cache']).toBe('MISS');
    expect(fromA.json().last.name).toBe('Via B');
  });

  it('bypasses the cache with CACHE_ENABLED=false', async () => {
    const app = await buildTestApp({ ...cacheEnv(), CACHE_ENABLED: 'false', HEAVY_MS: '50' });
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ url: '/api/misc/heavy?name=Alice' });
      expect(response.headers['x-cache']).toBe('BYPASS');
    }
  });

  it('keeps answering, uncached, when Redis cannot be reached', async () => {
    const app = await buildTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, HEAVY_MS: '20' });
    const response = await app.inject({ url: '/api/misc/heavy?name=nobody-home' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-cache']).toBe('BYPASS');
    expect(
      (await app.inject({ method: 'POST', url: '/api/products', payload: { name: 'still works' } }))
        .statusCode,
    ).toBe(201);
  });

  it('exposes the cache metrics next to the request metrics', async () => {
    const app = await buildTestApp({ ...cacheEnv(), HEAVY_MS: '10' });
    await app.inject({ url: '/api/misc/heavy?name=m' });
    await app.inject({ url: '/api/misc/heavy?name=m' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/cache_requests_total\{name="heavy",result="hit"[^}]*\} 1/);
    expect(metrics).toMatch(/cache_producer_runs_total\{name="heavy"[^}]*\} 1/);
  });
});
