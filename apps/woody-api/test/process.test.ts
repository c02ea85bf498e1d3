import { freePort, startMariaDb } from '@scale-lab/local-services';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, waitForReady } from '@scale-lab/testing';
import { buildTestApp, spawnWoody } from './helper.js';

describe('woody-api as a process', () => {
  it.each([
    [{ MYSQL_URL: 'mysql://x@127.0.0.1/db', HEAVY_MODE: 'fast' }, 'HEAVY_MODE'],
    [{ MYSQL_URL: 'mysql://x@127.0.0.1/db', PORT: 'abc' }, 'PORT'],
    [{}, 'MYSQL_URL'],
    [
      { MYSQL_URL: 'mysql://x@127.0.0.1/db', MYSQL_PASSWORD_FILE: '/nonexistent/secret' },
      'MYSQL_PASSWORD_FILE',
    ],
  ])('refuses to start with a bad config (%o), naming %s, without a stack trace', async (env, variable) => {
    const child = spawnWoody(env);
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(new RegExp(`^woody-api: .*${variable}`));
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const database = await createTestDatabase(inject('mysqlUrl'), 'woody_shutdown');
    const child = spawnWoody({
      MYSQL_URL: database,
      PORT: String(port),
      HOST: '127.0.0.1',
      HEAVY_MS: '1500',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForReady(child, url);
    const inFlight = fetch(`${url}/api/misc/heavy?name=patience`);
    await expect
      .poll(async () => (await (await fetch(`${url}/metrics`)).text()).match(/^heavy_active\{[^}]*\} 1$/m))
      .toBeTruthy();
    child.signal('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^Hello patience/);
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('shut down cleanly');
    await expect(fetch(`${url}/api/ping`)).rejects.toThrow();
  });
});

describe('database outage', () => {
  it('answers 503 JSON quickly while the database is down and recovers by itself', async () => {
    const mariadb = await startMariaDb();
    try {
      const app = await buildTestApp({
        MYSQL_URL: await mariadb.createDatabase('woody_outage'),
        DB_TIMEOUT_MS: '1000',
      });
      expect((await app.inject({ url: '/api/products' })).statusCode).toBe(200);
      await mariadb.kill();
      for (const url of ['/api/products', '/api/products/1', '/api/products/last']) {
        const started = performance.now();
        const response = await app.inject({ url, headers: { accept: 'application/json' } });
        expect(performance.now() - started, url).toBeLessThan(3000);
        expect(response.statusCode, url).toBe(503);
        expect(response.json()).toMatchObject({
          statusCode: 503,
          message: expect.stringContaining('database unavailable'),
        });
      }
      const order = await app.inject({ method: 'POST', url: '/api/orders', payload: { product: 'Yoyo' } });
      expect(order.statusCode).toBe(503); // not accepted, so nothing is promised
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);
      expect((await app.inject({ url: '/api/ping' })).statusCode).toBe(200);

      await mariadb.restart();
      await expect
        .poll(async () => (await app.inject({ url: '/api/products' })).statusCode, { timeout: 15_000 })
        .toBe(200);
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await mariadb.stop();
    }
  });
});
