import { describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

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
    // While the first runs, the other two are queued, and the gauge says so.
    await new Promise((resolve) => setTimeout(resolve, 80));
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^heavy_queue_depth\{[^}]*\} 2$/m);
    expect(metrics).toMatch(/^heavy_active\{[^}]*\} 1$/m);

    const results = await Promise.all(requests);
    expect(finished).toEqual(['first', 'second', 'third']);
    expect(results[0]!.elapsed).toBeGreaterThanOrEqual(190);
    expect(results[1]!.elapsed).toBeGreaterThanOrEqual(390);
    expect(results[2]!.elapsed).toBeGreaterThanOrEqual(590);
    expect(results[2]!.body.queuedMs).toBeGreaterThanOrEqual(390);
  });

  it('waits without using the event loop in sleep mode', async () => {
    const app = await buildTestApp({ HEAVY_MODE: 'sleep', HEAVY_MS: '200' });
    const before = performance.eventLoopUtilization();
    await app.inject({ url: '/api/misc/heavy?name=sleepy' });
    expect(performance.eventLoopUtilization(before).utilization).toBeLessThan(0.5);
  });

  it('runs as many at once as HEAVY_CONCURRENCY allows', async () => {
    const app = await buildTestApp({ HEAVY_MS: '300', HEAVY_CONCURRENCY: '3' });
    const started = performance.now();
    await Promise.all(['a', 'b', 'c'].map((name) => app.inject({ url: `/api/misc/heavy?name=${name}` })));
    expect(performance.now() - started).toBeLessThan(850); // 3 × 300 ms if serialized
  });

  it('does real CPU work in cpu mode, blocking the event loop', async () => {
    const app = await buildTestApp({ HEAVY_MODE: 'cpu', HEAVY_CPU_ITERATIONS: '400000' });
    const before = performance.eventLoopUtilization();
    const response = await app.inject({
      url: '/api/misc/heavy?name=cpu',
      headers: { accept: 'application/json' },
    });
    expect(response.json()).toMatchObject({
      name: 'cpu',
      mode: 'cpu',
      result: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const busy = performance.eventLoopUtilization(before).utilization;
    const again = await app.inject({
      url: '/api/misc/heavy?name=cpu',
      headers: { accept: 'application/json' },
    });
    expect(again.json().result).toBe(response.json().result);
    // pbkdf2Sync ran on the main thread: the event loop was busy, not waiting, for the whole request.
    expect(response.json().computeMs).toBeGreaterThanOrEqual(20);
    expect(busy).toBeGreaterThan(0.8);
  });
});
