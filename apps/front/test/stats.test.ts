import { describe, expect, it } from 'vitest';
import {
  FORGET_AFTER_MS,
  GONE_AFTER_MS,
  LoadStats,
  outcomeOf,
  percentile,
} from '../public/dashboard/stats.js';

// The dashboard's statistics module, the very file the page loads, run in Node: it has no DOM and no clock.
const T0 = 1_800_000_000_000; // a whole second, in ms since the epoch

function ok(at: number, instance: string, ms = 5, cache = '') {
  return { at, ms, status: 200, instance, cache };
}

describe('percentile (nearest rank)', () => {
  it('picks the rank ceil(p·n) of the sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 95, 99, 100].map((p) => percentile(values, p))).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('outcomeOf', () => {
  it('names network errors by kind and non-2xx answers by status', () => {
    expect(outcomeOf({ error: 'timeout' })).toBe('timeout');
    expect(outcomeOf({ status: 503 })).toBe('HTTP 503');
    expect(outcomeOf({ status: 302 })).toBe('HTTP 302');
    expect(outcomeOf({ status: 204 })).toBeNull();
  });
});

describe('LoadStats.series: one column per second', () => {
  it('counts answers per replica, cache status and error kind, with latency percentiles, per second', () => {
    const stats = new LoadStats();
    stats.record(ok(T0 + 100, 'woody-1', 10, 'MISS'));
    stats.record(ok(T0 + 900, 'woody-2', 30, 'HIT'));
    stats.record({ at: T0 + 950, ms: 10_000, error: 'timeout' });
    // Nothing in the second T0+1 s; two answers in T0+2 s, one of them a 502.
    stats.record(ok(T0 + 2100, 'woody-1', 4, 'HIT'));
    stats.record({ at: T0 + 2200, ms: 2, status: 502, instance: '', cache: '' });

    const series = stats.series(T0 + 2500);
    expect(series.seconds).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2]);
    expect(series.requests).toEqual([3, 0, 2]);
    expect(series.instances).toEqual({ 'woody-1': [1, 0, 1], 'woody-2': [1, 0, 0] });
    expect(series.cache).toEqual({ HIT: [1, 0, 1], MISS: [1, 0, 0] });
    expect(series.errors).toEqual({ 'HTTP 502': [0, 0, 1], timeout: [1, 0, 0] });
    // Failures are not latencies: the timeout's 10 s does not count.
    expect(series.p50).toEqual([10, null, 4]);
    expect(series.p99).toEqual([30, null, 4]);
    expect([stats.total, stats.failures]).toEqual([5, 2]);
  });

  it('files a late answer in its own second, and keeps only the last keepSeconds', () => {
    const stats = new LoadStats({ keepSeconds: 3 });
    stats.record(ok(T0 + 1500, 'woody-1'));
    stats.record(ok(T0 + 200, 'woody-2'));
    expect(stats.series(T0 + 1600).instances).toEqual({ 'woody-1': [0, 1], 'woody-2': [1, 0] });
    for (let second = 2; second < 6; second += 1) stats.record(ok(T0 + second * 1000, 'woody-1'));
    const series = stats.series(T0 + 5000);
    expect(series.seconds).toEqual([T0 / 1000 + 3, T0 / 1000 + 4, T0 / 1000 + 5]);
    expect(series.instances['woody-1']).toEqual([1, 1, 1]);
  });
});

describe('LoadStats.replicas: the tiles', () => {
  it('gives each replica its share of the last 10 s and its last latency, by name', () => {
    const stats = new LoadStats();
    for (let i = 0; i < 30; i += 1) stats.record(ok(T0 + i * 10, `woody-${(i % 3) + 1}`, i));
    stats.record(ok(T0 + 400, 'woody-10', 99));
    const tiles = stats.replicas(T0 + 500, true);
    expect(tiles.map((tile) => tile.instance)).toEqual(['woody-1', 'woody-2', 'woody-3', 'woody-10']);
    expect(tiles.map((tile) => tile.share)).toEqual([10 / 31, 10 / 31, 10 / 31, 1 / 31]);
    expect(tiles.map((tile) => tile.lastMs)).toEqual([27, 28, 29, 99]);
    expect(tiles.every((tile) => tile.state === 'live')).toBe(true);
  });

  it('marks a replica silent for more than GONE_AFTER_MS gone while load runs, and forgets it after 10 s', () => {
    const stats = new LoadStats();
    stats.record(ok(T0, 'woody-3'));
    stats.record(ok(T0, 'woody-1'));
    const later = T0 + GONE_AFTER_MS + 1;
    stats.record(ok(later, 'woody-1'));
    expect(stats.replicas(later, true).map((tile) => [tile.instance, tile.state])).toEqual([
      ['woody-1', 'live'],
      ['woody-3', 'gone'],
    ]);
    expect(stats.replicas(T0 + GONE_AFTER_MS, true).find((tile) => tile.instance === 'woody-3')?.state).toBe(
      'live',
    );
    // No load, no verdict: silence is expected.
    expect(stats.replicas(later, false).map((tile) => tile.state)).toEqual(['idle', 'idle']);
    // woody-3's answer leaves the window: its tile goes, and woody-1's old answer no longer counts.
    const tiles = stats.replicas(T0 + FORGET_AFTER_MS + 1, true);
    expect(tiles.map((tile) => [tile.instance, tile.share])).toEqual([['woody-1', 1]]);
  });

  it('counts no replica for a failed request', () => {
    const stats = new LoadStats();
    stats.record({ at: T0, ms: 1, status: 503, instance: 'woody-1', cache: '' });
    expect(stats.replicas(T0, true)).toEqual([]);
  });
});
