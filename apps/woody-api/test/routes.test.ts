import { describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

const json = { accept: 'application/json' };

describe('woody-api routes', async () => {
  const env = { INSTANCE_ID: 'woody-test', HEAVY_MS: '20', DB_SLOW_MS: '300' };
  const app = await buildTestApp(env);
  /** An app on a database of its own, for a test that counts products: only its own are added there. */
  const appOfItsOwn = () => buildTestApp(env);
  const productTotal = async (on: typeof app): Promise<number> =>
    (await on.inject({ url: '/api/products' })).json().total;

  it('answers ping and time in plain text, and in JSON when asked', async () => {
    const ping = await app.inject({ url: '/api/ping' });
    expect(ping.statusCode).toBe(200);
    expect(ping.headers['content-type']).toMatch(/^text\/plain/);
    expect(ping.body).toBe('ping');
    expect((await app.inject({ url: '/api/ping', headers: json })).json()).toEqual({ ping: 'pong' });

    const time = await app.inject({ url: '/api/misc/time' });
    expect(Math.abs(Date.parse(time.body) - Date.now())).toBeLessThan(5000);
    expect((await app.inject({ url: '/api/misc/time', headers: json })).json()).toHaveProperty('time');
  });

  it('computes heavy results per name, the same for the same name', async () => {
    const first = await app.inject({ url: '/api/misc/heavy?name=Alice', headers: json });
    const again = await app.inject({ url: '/api/misc/heavy?name=Alice', headers: json });
    const other = await app.inject({ url: '/api/misc/heavy?name=Bob', headers: json });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ name: 'Alice', mode: 'sleep' });
    expect(first.json().computeMs).toBeGreaterThanOrEqual(15);
    expect(again.json().result).toBe(first.json().result);
    expect(other.json().result).not.toBe(first.json().result);
    const text = await app.inject({ url: '/api/misc/heavy?name=Alice' });
    expect(text.body).toBe(`Hello Alice, your heavy result is ${first.json().result}`);
  });

  it.each([
    ['missing', '/api/misc/heavy'],
    ['empty', '/api/misc/heavy?name='],
    ['101 characters', `/api/misc/heavy?name=${'a'.repeat(101)}`],
    ['a control character', '/api/misc/heavy?name=a%07b'],
    ['a newline', '/api/misc/heavy?name=a%0Ab'],
  ])('rejects a heavy name that is %s with a 400 JSON error', async (_case, url) => {
    const response = await app.inject({ url });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(response.headers['x-instance']).toBe('woody-test');
  });

  it('accepts 100 printable characters, accents included', async () => {
    const name = 'é'.repeat(100);
    const response = await app.inject({
      url: `/api/misc/heavy?name=${encodeURIComponent(name)}`,
      headers: json,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().name).toBe(name);
  });

  it('is seeded with Yoyo and Joli train', async () => {
    const list = await app.inject({ url: '/api/products?pageSize=100' });
    expect(list.json().items.map((product: { name: string }) => product.name)).toEqual(
      expect.arrayContaining(['Yoyo', 'Joli train']),
    );
  });

  it('adds a product with POST (201 + Location) and reads it back', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/products', payload: { name: 'Toupie' } });
    expect(created.statusCode).toBe(201);
    const product = created.json();
    expect(product).toMatchObject({ name: 'Toupie', id: expect.any(Number) });
    expect(created.headers.location).toBe(`/api/products/${product.id}`);
    expect((await app.inject({ url: `/api/products/${product.id}` })).json()).toEqual(product);
  });

  it('adds a product through the legacy GET ?product= and answers plain text', async () => {
    const response = await app.inject({ url: '/api/products?product=Cheval%20de%20bois' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^Product Cheval de bois added \(id \d+\)$/);
    const id = Number(/id (\d+)/.exec(response.body)![1]);
    expect((await app.inject({ url: `/api/products/${id}` })).json().name).toBe('Cheval de bois');
  });

  it('rejects bad product input with 400 JSON and stores nothing', async () => {
    const own = await appOfItsOwn();
    const before = await productTotal(own);
    for (const payload of [
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: null },
      { name: 'tab\there' },
    ]) {
      const response = await own.inject({ method: 'POST', url: '/api/products', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().statusCode).toBe(400);
    }
    const notJson = await own.inject({
      method: 'POST',
      url: '/api/products',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(await productTotal(own)).toBe(before);
  });

  it('pages the product list', async () => {
    const own = await appOfItsOwn();
    const before = await productTotal(own);
    const added: { id: number; name: string }[] = [];
    for (const name of ['P1', 'P2', 'P3']) {
      const created = await own.inject({ method: 'POST', url: '/api/products', payload: { name } });
      expect(created.statusCode).toBe(201);
      added.push(created.json());
    }
    const total = before + 3;
    const listed: { id: number }[] = [];
    for (let page = 1; page <= Math.ceil(total / 2); page++) {
      const body = (await own.inject({ url: `/api/products?page=${page}&pageSize=2` })).json();
      expect(body).toMatchObject({ page, pageSize: 2, total });
      expect(body.items).toHaveLength(Math.min(2, total - listed.length));
      listed.push(...body.items);
    }
    const ids = listed.map((product) => product.id);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b)); // every product once, in id order
    expect(listed.slice(-3)).toEqual(added);
    expect((await own.inject({ url: '/api/products?pageSize=1000' })).statusCode).toBe(400);
  });

  it('answers 404 JSON for an unknown product and 400 for a non-numeric id', async () => {
    const missing = await app.inject({ url: '/api/products/999999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ statusCode: 404, message: 'product 999999 does not exist' });
    expect((await app.inject({ url: '/api/products/abc' })).statusCode).toBe(400);
  });

  it('stores an SQL injection attempt as plain text and keeps the table', async () => {
    const name = "x'); DROP TABLE product; --";
    const created = await app.inject({ method: 'POST', url: '/api/products', payload: { name } });
    expect(created.statusCode).toBe(201);
    expect((await app.inject({ url: `/api/products/${created.json().id}` })).json().name).toBe(name);
    const legacy = await app.inject({ url: `/api/products?product=${encodeURIComponent(name)}` });
    expect(legacy.body).toContain(name);
    expect((await app.inject({ url: '/api/products' })).statusCode).toBe(200);
  });

  it('answers products/last with the count and the last product, slowly, from inside the database', async () => {
    const own = await appOfItsOwn();
    const count = (await productTotal(own)) + 1;
    const added = (
      await own.inject({ method: 'POST', url: '/api/products', payload: { name: 'Dernier' } })
    ).json();
    const started = performance.now();
    const response = await own.inject({ url: '/api/products/last', headers: json });
    const elapsed = performance.now() - started;
    expect(response.json()).toEqual({ count, last: added });
    expect(elapsed).toBeGreaterThanOrEqual(290); // DB_SLOW_MS = 300, slept by MariaDB's SLEEP()
    const text = await own.inject({ url: '/api/products/last' });
    expect(text.body).toBe(`${count} products, the last one is Dernier`);
  });

  it('sends X-Instance on every answer', async () => {
    for (const url of [
      '/api/ping',
      '/api/products/999999',
      '/nowhere',
      '/api/misc/heavy',
      '/health/ready',
      '/metrics',
    ]) {
      expect((await app.inject({ url })).headers['x-instance'], url).toBe('woody-test');
    }
  });

  it('exposes request counts by route and the heavy queue gauges in /metrics', async () => {
    await app.inject({ url: '/api/ping' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/ping"[^}]*status_code="200"[^}]*\} \d+/);
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*route="\/api\/misc\/heavy"[^}]*status_code="400"[^}]*\}/,
    );
    expect(metrics).toMatch(/^heavy_queue_depth\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^heavy_active\{[^}]*\} 0$/m);
  });

  it('is ready once the database answers', async () => {
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('publishes an OpenAPI document of its routes', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/misc/heavy',
        '/api/products',
        '/api/products/last',
        '/api/orders',
        '/api/orders/{id}',
      ]),
    );
  });
});
