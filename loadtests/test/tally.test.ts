import { describe, expect, it } from 'vitest';
import { Tally } from '../src/tally.js';

describe('a repeat’s tally', () => {
  it('keeps each endpoint’s latency apart, in total and second by second', () => {
    const tally = new Tally(0);
    for (let i = 0; i < 10; i++)
      tally.answered('GET /fast', 200, { instance: 'a', cache: 'HIT' }, 1, 100 + i);
    for (let i = 0; i < 10; i++) tally.answered('GET /slow', 200, { instance: 'b' }, 300, 200 + i);
    tally.answered('GET /slow', 503, { instance: 'b' }, 5, 1500);
    tally.failed('GET /slow', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 1600);
    const result = tally.result(2);
    expect(result.endpoints['GET /fast']!.latency.p50).toBeCloseTo(1, 2);
    expect(result.endpoints['GET /slow']!.latency.p50).toBeCloseTo(300, 0);
    expect(result.endpoints['GET /slow']!.statuses).toEqual({ '200': 10, '503': 1 });
    expect(result.endpoints['GET /slow']!.errors).toEqual({ refused: 1 });
    expect(result.timeline).toEqual([
      {
        second: 0,
        requests: 20,
        non2xx: 0,
        errors: 0,
        latency: { 'GET /fast': { p50: 1, p99: 1 }, 'GET /slow': { p50: 300, p99: 300 } },
      },
      // The 503 is an answer of that second, and counted apart: a fault's failures are these and errors.
      { second: 1, requests: 1, non2xx: 1, errors: 1, latency: { 'GET /slow': { p50: 5, p99: 5 } } },
    ]);
    expect(result).toMatchObject({ requests: 21, non2xx: 1, errors: 1, requestsPerSecond: 10.5 });
    expect(result.perInstance).toEqual({ a: 10, b: 11 });
    expect(result.perCacheStatus).toEqual({ HIT: 10, none: 11 });
  });
});
