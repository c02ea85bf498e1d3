import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { describe, expect, inject, it } from 'vitest';
import { buildTestApp, newDatabase } from './helper.js';

const TITLE = '/moviesbytitle?title=The%20Good%20Dinosaur';

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

/** How long `work` took, in ms. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** `count` reads at once; every one must answer 200. */
async function burst(app: FastifyInstance, count: number): Promise<void> {
  const responses = await Promise.all(Array.from({ length: count }, () => app.inject({ url: TITLE })));
  expect(responses.map((response) => response.statusCode)).toEqual(Array(count).fill(200));
}

/** One read's time on an app already warmed up (pool connected, statements prepared). */
async function oneRequest(app: FastifyInstance): Promise<number> {
  await burst(app, 1);
  return timed(() => burst(app, 1));
}

describe('movie-api per-request work', () => {
  it('is off by default: no gate, and concurrent reads are not serialised', async () => {
    const database = await newDatabase();
    const plain = await buildTestApp({ MYSQL_URL: database, CACHE_ENABLED: 'false' });
    const worked = await buildTestApp({
      MYSQL_URL: database,
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: '100',
      MOVIE_WORK_CONCURRENCY: '1',
    });
    expect((await plain.inject({ url: '/metrics' })).body).not.toMatch(/^movie_work_/m);
    await oneRequest(plain);
    await oneRequest(worked);
    const plainBurst = await timed(() => burst(plain, 4));
    const workedBurst = await timed(() => burst(worked, 4));
    // Four serialised 100 ms slots take ≥ 400 ms; without the work four reads take a fraction of that.
    expect(plainBurst * 3).toBeLessThan(workedBurst);
  });

  it('serves one request at a time with concurrency 1, the rest wait in the queue', async () => {
    const app = await buildTestApp({
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: '100',
      MOVIE_WORK_CONCURRENCY: '1',
    });
    const single = await oneRequest(app);
    expect(single).toBeGreaterThanOrEqual(95);
    const started = performance.now();
    const requests = burst(app, 4);
    await metricsUntil(app, [/^movie_work_active\{[^}]*\} 1$/m, /^movie_work_queue_depth\{[^}]*\} 3$/m]);
    await requests;
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * single);
  });

  it('runs as many at once as MOVIE_WORK_CONCURRENCY allows', async () => {
    const app = await buildTestApp({
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: '200',
      MOVIE_WORK_CONCURRENCY: '4',
    });
    const single = await oneRequest(app);
    const started = performance.now();
    const requests = burst(app, 4);
    await metricsUntil(app, [/^movie_work_active\{[^}]*\} 4$/m, /^movie_work_queue_depth\{[^}]*\} 0$/m]);
    await requests;
    expect(performance.now() - started).toBeLessThan(2 * single);
  });

  it('charges cached answers too: the work comes before the cache', async () => {
    const app = await buildTestApp({
      REDIS_URL: inject('redisUrl'),
      CACHE_NAMESPACE: `movie_work_test_${process.pid}`,
      MOVIE_WORK_MS: '100',
    });
    expect((await app.inject({ url: TITLE })).headers['x-cache']).toBe('MISS');
    let hit!: Awaited<ReturnType<typeof app.inject>>;
    const elapsed = await timed(async () => {
      hit = await app.inject({ url: TITLE });
    });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(elapsed).toBeGreaterThanOrEqual(95);
  });

  it('answers 503 with Retry-After at once when MOVIE_WORK_QUEUE_MAX requests already wait', async () => {
    const app = await buildTestApp({
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: '300',
      MOVIE_WORK_CONCURRENCY: '1',
      MOVIE_WORK_QUEUE_MAX: '1',
    });
    const admitted = [app.inject({ url: TITLE }), app.inject({ url: '/json' })];
    await metricsUntil(app, [/^movie_work_active\{[^}]*\} 1$/m, /^movie_work_queue_depth\{[^}]*\} 1$/m]);
    const refused = await app.inject({ url: '/json' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      error: 'Service Unavailable',
      message: expect.stringMatching(/movie work queue full/),
    });
    expect((await Promise.all(admitted)).map((response) => response.statusCode)).toEqual([200, 200]);
    // Once the queue has room again, the next request is served.
    expect((await app.inject({ url: '/json' })).statusCode).toBe(200);
  });

  it('does not delay health, metrics or the API description', async () => {
    const app = await buildTestApp({
      CACHE_ENABLED: 'false',
      MOVIE_WORK_MS: '1000',
      MOVIE_WORK_CONCURRENCY: '1',
    });
    let movieAnswered = false;
    const movie = app.inject({ url: '/json' }).then((response) => {
      movieAnswered = true;
      return response;
    });
    await metricsUntil(app, [/^movie_work_active\{[^}]*\} 1$/m]);
    for (const url of ['/health/live', '/health/ready', '/metrics', '/openapi.json', '/help']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
    // All of them answered while the one movie request still held the only work slot.
    expect(movieAnswered).toBe(false);
    expect((await movie).statusCode).toBe(200);
  });
});
