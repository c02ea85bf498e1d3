import { describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

const addProduct = (name: string) => ({ method: 'POST' as const, url: '/api/products', payload: { name } });

describe('write rate limit (WRITE_RATE_LIMIT per minute, write route and client address)', () => {
  it('answers 429 JSON with Retry-After past the limit, and keeps reads unlimited', async () => {
    const app = await buildTestApp({ WRITE_RATE_LIMIT: '3' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject(addProduct(`limited ${i}`))).statusCode);
    expect(statuses).toEqual([201, 201, 201]);

    const refused = await app.inject(addProduct('one too many'));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Reads are not limited, not even on the path of the lab's writing GET.
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/api/products' })).statusCode).toBe(200);
    // Each write route counts on its own: the lab's writing GET, then orders.
    const legacy = [];
    for (let i = 0; i < 4; i++)
      legacy.push((await app.inject({ url: `/api/products?product=get${i}` })).statusCode);
    expect(legacy).toEqual([200, 200, 200, 429]);
    const orders = [];
    for (let i = 0; i < 4; i++) {
      const placed = await app.inject({ method: 'POST', url: '/api/orders', payload: { product: 'Yoyo' } });
      orders.push(placed.statusCode);
    }
    expect(orders).toEqual([202, 202, 202, 429]);
    expect((await app.inject({ url: '/api/misc/time' })).statusCode).toBe(200);
  });

  it('counts per client address (X-Forwarded-For behind the proxy)', async () => {
    const app = await buildTestApp({ WRITE_RATE_LIMIT: '1' });
    const from = (address: string, name: string) =>
      app.inject({ ...addProduct(name), headers: { 'x-forwarded-for': address } });
    expect((await from('10.0.0.1', 'first a')).statusCode).toBe(201);
    expect((await from('10.0.0.1', 'second a')).statusCode).toBe(429);
    expect((await from('10.0.0.2', 'first b')).statusCode).toBe(201);
  });

  it('does not limit at all with WRITE_RATE_LIMIT=0', async () => {
    const app = await buildTestApp({ WRITE_RATE_LIMIT: '0' });
    for (let i = 0; i < 20; i++) expect((await app.inject(addProduct(`free ${i}`))).statusCode).toBe(201);
  });
});
