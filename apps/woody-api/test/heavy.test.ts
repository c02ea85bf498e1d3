import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

/** Polls /metrics until it matches every pattern, or fails after `timeoutMs` with what it last saw. */
async function metricsUntil(app: FastifyInstance, patterns: RegExp[], timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const metrics = (await app.inject({ url: '/metrics' })).body;
    if (patterns.every((pattern) => pattern.test(metrics))) return;
    if (performance.now() > deadline) expect(metrics).toMatch(patterns.find((p) => !p.test(metrics))!);
    await sleep(5);
  }
}

/** The longest the event loop was held up while `work` ran, in ms: the widest gap between 1 ms ticks. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const ticker = setInterval(tick, 1);
  await work();
  clearInterval(ticker);
  tick(); // a stall that ended just now, before the next tick
  return longest;
}

describe('heavy endpoint', () => {
  it('serves one computation at a time per replica, the rest wait in FIFO order', async () => {
    const app = await buildTestApp({ HEAVY_MS: '200', HEAVY_CONCURRENCY: '1' });
    const started = performance.now();
    const finished: string[] = [];
    const requests = ['first', 'second', 'third'].map(async (name) => {
      const response = await app.inject({
        url: `/api/misc/heavy?name=${name}`,
        headers: { accept: 'application/json' },
      });
      finished.push(name);
      return { name, elapsed: performance.now() - started, body: response.json() };
    });
    // While the first runs, the other two are queued, and the gauges say so.
    await metricsUntil(app, [/^heavy_queue_depth\{[^}]*\} 2$/m, /^heavy_active\{[^}]*\} 1$/m]);

    const results = await Promise.all(requests);
    expect(finished).toEqual(['first', 'second', 'third']);
    expect(results[0]!.elapsed).toBeGreaterThanOrEqual(190);
    expect(results[1]!.elapsed).toBeGreaterThanOrEqual(390);
    expect(results[2]!.elapsed).toBeGreaterThanOrEqual(590);
    expect(results[2]!.body.queuedMs).toBeGreaterThanOrEqual(390);
  });

  it('answers 503 with Retry-After at once when HEAVY_QUEUE_MAX requests already wait', async () => {
    const app = await buildTestApp({ HEAVY_MS: '300', HEAVY_CONCURRENCY: '1', HEAVY_QUEUE_MAX: '1' });
    const admitted = ['one', 'two'].map((name) => app.inject({ url: `/api/misc/heavy?name=${name}` }));
    await metricsUntil(app, [/^heavy_active\{[^}]*\} 1$/m, /^heavy_queue_depth\{[^}]*\} 1$/m]);
    const refused = await app.inject({ url: '/api/misc/heavy?name=three' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(refused.json().message).toMatch(/heavy queue full/);
    expect((await Promise.all(admitted)).map((r) => r.statusCode)).toEqual([200, 200]);
    // Once the queue has room again, the next request is served.
    expect((await app.inject({ url: '/api/misc/heavy?name=four' })).statusCode).toBe(200);
  });

  it('waits without holding up the event loop in sleep mode', async () => {
    const app = await buildTestApp({ HEAVY_MODE: 'sleep', HEAVY_MS: '200' });
    const stall = await longestStall(() => app.inject({ url: '/api/misc/heavy?name=sleepy' }));
    // A sleep of 200 ms leaves the loop free: no stall comes near the work's own length.
    expect(stall).toBeLessThan(200 / 4);
  });

  it('runs as many at once as HEAVY_CONCURRENCY allows', async () => {
    const app = await buildTestApp({ HEAVY_MS: '300', HEAVY_CONCURRENCY: '3' });
    await metricsUntil(app, [/^heavy_active\{[^}]*\} 0$/m]);
    const requests = ['a', 'b', 'c'].map((name) => app.inject({ url: `/api/misc/heavy?name=${name}` }));
    // All three compute at once, and none waits in the queue.
    await metricsUntil(app, [/^heavy_active\{[^}]*\} 3$/m, /^heavy_queue_depth\{[^}]*\} 0$/m]);
    await Promise.all(requests);
  });

  it('does real CPU work in cpu mode, blocking the event loop', async () => {
    const app = await buildTestApp({ HEAVY_MODE: 'cpu', HEAVY_CPU_ITERATIONS: '400000' });
    let response!: Awaited<ReturnType<typeof app.inject>>;
    const stall = await longestStall(async () => {
      response = await app.inject({
        url: '/api/misc/heavy?name=cpu',
        headers: { accept: 'application/json' },
      });
    });
    expect(response.json()).toMatchObject({
      name: 'cpu',
      mode: 'cpu',
      result: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const again = await app.inject({
      url: '/api/misc/heavy?name=cpu',
      headers: { accept: 'application/json' },
    });
    expect(again.json().result).toBe(response.json().result);
    // pbkdf2Sync ran on the main thread: the event loop stood still for (nearly) all of the computation.
    const { computeMs } = response.json() as { computeMs: number };
    expect(computeMs).toBeGreaterThan(0);
    expect(stall).toBeGreaterThan(computeMs / 2);
  });
});
