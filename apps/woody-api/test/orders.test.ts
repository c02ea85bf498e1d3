import { freePort } from '@scale-lab/local-services';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, waitForReady } from '@scale-lab/testing';
import { buildTestApp, spawnWoody } from './helper.js';

const json = { accept: 'application/json' };

describe('orders', () => {
  it('stores an order pending at once (202), then validates a known product', async () => {
    const app = await buildTestApp({ HEAVY_MS: '150' });
    const placed = await app.inject({ method: 'POST', url: '/api/orders', payload: { product: 'Yoyo' } });
    expect(placed.statusCode).toBe(202);
    const order = placed.json();
    expect(order).toMatchObject({ product: 'Yoyo', status: 'pending', id: expect.any(Number) });
    expect(placed.headers.location).toBe(`/api/orders/${order.id}`);
    await expect
      .poll(async () => (await app.inject({ url: `/api/orders/${order.id}` })).json().status, {
        timeout: 5000,
      })
      .toBe('validated');
  });

  it('rejects an order for a product that does not exist', async () => {
    const app = await buildTestApp({ HEAVY_MS: '10' });
    const order = (
      await app.inject({ method: 'POST', url: '/api/orders', payload: { product: 'Licorne' } })
    ).json();
    await expect
      .poll(async () => (await app.inject({ url: `/api/orders/${order.id}` })).json(), { timeout: 5000 })
      .toMatchObject({ status: 'rejected', reason: 'unknown product' });
  });

  it('keeps the legacy GET forms: /api/orders/do?order= and ?order_id= with or without the slash', async () => {
    const app = await buildTestApp({ HEAVY_MS: '10' });
    const placed = await app.inject({ url: '/api/orders/do?order=Joli%20train' });
    expect(placed.statusCode).toBe(202);
    expect(placed.body).toMatch(/^Order \d+ \(Joli train\): pending, id \d+$/);
    const id = /id (\d+)$/.exec(placed.body)![1];
    for (const url of [`/api/orders?order_id=${id}`, `/api/orders/?order_id=${id}`]) {
      await expect
        .poll(async () => (await app.inject({ url })).body, { timeout: 5000 })
        .toBe(`Order ${id} (Joli train): validated`);
    }
    expect((await app.inject({ url: `/api/orders/?order_id=${id}`, headers: json })).json().status).toBe(
      'validated',
    );
  });

  it('answers 404 JSON for an unknown order and 400 for bad input', async () => {
    const app = await buildTestApp();
    const missing = await app.inject({ url: '/api/orders/424242' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('order 424242 does not exist');
    expect((await app.inject({ url: '/api/orders?order_id=424242' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/orders?order_id=abc' })).statusCode).toBe(400);
    expect(
      (await app.inject({ method: 'POST', url: '/api/orders', payload: { product: '' } })).statusCode,
    ).toBe(400);
    expect((await app.inject({ url: '/api/orders/do' })).statusCode).toBe(400);
  });

  it('never loses an accepted order: a replica killed mid-validation leaves it to another', async () => {
    const database = await createTestDatabase(inject('mysqlUrl'), 'woody_orders_crash');
    const common = {
      MYSQL_URL: database,
      ORDER_LEASE_MS: '1500',
      ORDER_RECOVERY_INTERVAL_MS: '300',
      HOST: '127.0.0.1',
    };
    // The first replica would need a minute to validate; it is killed long before.
    const firstPort = await freePort();
    const first = spawnWoody({
      ...common,
      PORT: String(firstPort),
      INSTANCE_ID: 'doomed',
      HEAVY_MS: '60000',
    });
    try {
      await waitForReady(first, `http://127.0.0.1:${firstPort}`);
      const placed = await fetch(`http://127.0.0.1:${firstPort}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product: 'Yoyo' }),
      });
      expect(placed.status).toBe(202);
      const { id } = (await placed.json()) as { id: number };
      await first.kill();

      const secondPort = await freePort();
      const second = spawnWoody({
        ...common,
        PORT: String(secondPort),
        INSTANCE_ID: 'rescuer',
        HEAVY_MS: '50',
      });
      try {
        await waitForReady(second, `http://127.0.0.1:${secondPort}`);
        await expect
          .poll(
            async () =>
              (await (await fetch(`http://127.0.0.1:${secondPort}/api/orders/${id}`)).json()) as object,
            {
              timeout: 15_000,
            },
          )
          .toMatchObject({ status: 'validated', attempts: 2 });
        expect(second.output()).toContain('recovered pending orders left by another replica');
      } finally {
        await second.stop();
      }
    } finally {
      await first.kill();
    }
  });
});
