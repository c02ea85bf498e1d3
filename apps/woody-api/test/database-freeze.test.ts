import { startMariaDb, type LocalMariaDb } from '@scale-lab/local-services';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

const DB_TIMEOUT_MS = 300;
const json = { accept: 'application/json' };

describe('database frozen (SIGSTOP: a stalled database, not a refused one)', () => {
  let mariadb: LocalMariaDb | undefined;
  afterEach(async () => {
    mariadb?.thaw(); // a failing test leaves no frozen process behind
    await mariadb?.stop();
    mariadb = undefined;
  });

  it('answers 503 with Retry-After within 2 × DB_TIMEOUT_MS, keeps /api/misc/time up, and recovers after SIGCONT', async () => {
    mariadb = await startMariaDb();
    const app = await buildTestApp({
      MYSQL_URL: await mariadb.createDatabase('woody_frozen'),
      DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
    });
    expect((await app.inject({ url: '/api/products', headers: json })).statusCode).toBe(200);

    const products = async () => {
      const started = performance.now();
      const response = await app.inject({ url: '/api/products', headers: json });
      return { response, ms: performance.now() - started };
    };

    await mariadb.freeze();
    try {
      // One by one: the pool's open connections frozen mid-query, then new connections that the frozen server
      // accepts (its kernel does) but never greets.
      const answers = [await products(), await products(), await products()];
      // More at once than the pool has connections: callers that wait for a free one are bounded too.
      let burstDone = false;
      const burst = Promise.all(Array.from({ length: 25 }, products)).finally(() => (burstDone = true));
      const time = await app.inject({ url: '/api/misc/time', headers: json });
      expect(time.statusCode).toBe(200);
      expect(time.json()).toEqual({ time: expect.any(String) });
      expect(burstDone).toBe(false); // answered while the database calls were still waiting
      answers.push(...(await burst));

      for (const { response, ms } of answers) {
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json()).toMatchObject({
          statusCode: 503,
          code: 'DATABASE_TIMEOUT',
          message: expect.stringMatching(/within 300 ms$/),
        });
        expect(ms).toBeLessThan(2 * DB_TIMEOUT_MS);
      }
      expect((await app.inject({ url: '/api/misc/time' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.database).toMatch(/within 300 ms$/);
    } finally {
      mariadb.thaw();
    }

    await expect
      .poll(async () => (await app.inject({ url: '/health/ready' })).statusCode, {
        timeout: 5000,
        interval: 50,
      })
      .toBe(200);
    const after = await app.inject({ url: '/api/products', headers: json });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ items: expect.any(Array), total: expect.any(Number) });
    expect((await app.inject({ url: '/api/misc/time' })).statusCode).toBe(200);
    await app.close();
  });

  it('validates an order whose validation met the frozen database, once its lease runs out', async () => {
    mariadb = await startMariaDb();
    const app = await buildTestApp({
      MYSQL_URL: await mariadb.createDatabase('woody_frozen_order'),
      DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
      HEAVY_MS: '500',
      ORDER_LEASE_MS: '1000',
      ORDER_RECOVERY_INTERVAL_MS: '200',
    });
    try {
      const placed = await app.inject({ method: 'POST', url: '/api/orders', payload: { product: 'Yoyo' } });
      expect(placed.statusCode).toBe(202);
      const { id } = placed.json() as { id: number };
      // Frozen while the heavy work runs: the validation's next database call times out and it gives up.
      await expect.poll(() => app.heavyGate.active, { timeout: 5000, interval: 10 }).toBe(1);
      await mariadb.freeze();
      try {
        await expect.poll(() => app.heavyGate.active, { timeout: 5000, interval: 10 }).toBe(0);
      } finally {
        mariadb.thaw();
      }
      // The order kept this replica's claim; it must not renew it for ever, so the recovery takes it up.
      await expect
        .poll(async () => (await app.orderService.find(id))?.status, { timeout: 15_000, interval: 100 })
        .toBe('validated');
      expect((await app.orderService.find(id))?.attempts).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  }, 30_000);
});
