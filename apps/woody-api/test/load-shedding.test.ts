import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { servicePlugin } from '@scale-lab/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSheddingPlugin } from '../src/plugins/load-shedding.js';

/** Blocks the event loop like cpu-mode heavy work does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('load shedding', () => {
  const app = Fastify({ logger: false });
  afterAll(() => app.close());

  it('answers API requests 503 with Retry-After while the event loop lags, health checks 200, then recovers', async () => {
    await app.register(servicePlugin, {
      service: 'test',
      instanceId: 'test-1',
      collectDefaultMetrics: false,
    });
    await app.register(loadSheddingPlugin, { maxEventLoopDelayMs: 20, sampleIntervalMs: 50 });
    app.get('/api/block', async () => {
      block(300);
      return { blocked: true };
    });
    app.get('/api/ping', async () => ({ ping: 'pong' }));
    await app.ready();
    expect((await app.inject({ url: '/api/ping' })).statusCode).toBe(200);

    expect((await app.inject({ url: '/api/block' })).statusCode).toBe(200);
    // The next sample sees the lag: from then on, until a sample without it, API requests are shed.
    let shed = await app.inject({ url: '/api/ping' });
    for (
      const deadline = performance.now() + 2000;
      shed.statusCode === 200 && performance.now() < deadline;
    ) {
      await sleep(1);
      shed = await app.inject({ url: '/api/ping' });
    }
    const live = await app.inject({ url: '/health/live' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(shed.json().message).toMatch(/^overloaded: the event loop lags .+ \(limit 20 ms\)$/);
    expect(live.statusCode).toBe(200); // a busy replica is not a dead one

    await expect
      .poll(async () => (await app.inject({ url: '/api/ping' })).statusCode, { timeout: 2000 })
      .toBe(200);
  });
});
