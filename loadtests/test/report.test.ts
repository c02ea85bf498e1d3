import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forRun, scenarios } from '../scenarios/index.js';
import { expandPath, weightedPicker } from '../src/load.js';
import { conservation, summarize } from '../src/report/summary.js';
import { writeReport } from '../src/report/write.js';
import type { RepeatResult, ScenarioResult, VariantResult } from '../src/schema.js';
import { hitRatio, scalingEfficiency, spread } from '../src/stats.js';

const repeat = (rps: number, overrides: Partial<RepeatResult> = {}): RepeatResult => ({
  requests: rps * 2,
  non2xx: 0,
  errors: 0,
  durationSeconds: 2,
  requestsPerSecond: rps,
  latency: {
    p50: 1000 / rps,
    p90: 1100 / rps,
    p95: 1200 / rps,
    p99: 1500 / rps,
    max: 2000 / rps,
    mean: 1000 / rps,
  },
  perInstance: { 'woody-1': rps * 2 },
  perCacheStatus: { none: rps * 2 },
  serverCounted: { 'woody-1': rps * 2 + 1 },
  generatorCpu: 0.2,
  ...overrides,
});

const variant = (name: string, replicas: number, rps: number[], heavyMode = 'sleep'): VariantResult => ({
  name,
  woodyReplicas: replicas,
  movieReplicas: 1,
  cache: 'off',
  heavyMode,
  target: 'site',
  repeats: rps.map((r) => repeat(r)),
});

const fixture: ScenarioResult = {
  schemaVersion: 1,
  runner: 'node',
  scenario: 'replicas',
  title: 'Replicas',
  expectation: 'grows',
  model: 'closed: 6 connections × 2 s',
  connections: 6,
  quick: true,
  fingerprint: {
    cpuModel: 'test cpu',
    cpuCount: 2,
    memoryGiB: 24,
    os: 'Linux',
    node: 'v22',
    nginx: '1.22.1',
    redis: '7.0',
    mariadb: '10.11',
    stackMode: 'local',
    gitCommit: 'abc123',
    startedAt: '2026-11-25T00:00:00.000Z',
  },
  variants: [
    variant('sleep × 1', 1, [10, 9, 11]),
    variant('sleep × 3', 3, [28, 30, 29]),
    variant('cpu × 1', 1, [20, 20, 21], 'cpu'),
    variant('cpu × 2', 2, [38, 40, 39], 'cpu'),
  ],
};

describe('scenario definitions', () => {
  it('name every scenario the issue asks for, each with ≥ 3 repeats in full and quick runs', () => {
    expect(scenarios.map((s) => s.name)).toEqual(
      expect.arrayContaining(['baseline', 'replicas', 'cache', 'tutorial']),
    );
    for (const scenario of scenarios) {
      for (const run of [forRun(scenario, false), forRun(scenario, true)]) {
        expect(run.repeats, scenario.name).toBeGreaterThanOrEqual(3);
        expect(run.variants.length, scenario.name).toBeGreaterThan(0);
      }
    }
  });

  it('compare replicas at the same offered load: one connection count for every variant', () => {
    const replicas = scenarios.find((s) => s.name === 'replicas')!;
    expect(replicas.variants.map((v) => v.woodyReplicas)).toEqual([1, 2, 4, 8, 1, 2]);
    expect(replicas.model.kind).toBe('closed');
  });

  it('send the tutorial’s 500 requests at once', () => {
    expect(scenarios.find((s) => s.name === 'tutorial')!.model).toEqual({ kind: 'burst', requests: 500 });
  });
});

describe('request mix', () => {
  it('fills counters and modulo counters in paths', () => {
    expect(expandPath('/api/misc/heavy?name=x-{n}', 7)).toBe('/api/misc/heavy?name=x-7');
    expect(expandPath('/api/misc/heavy?name=x-{n5}', 7)).toBe('/api/misc/heavy?name=x-2');
    expect(expandPath('/api/ping', 7)).toBe('/api/ping');
  });

  it('follows the weights exactly over a cycle', () => {
    const pick = weightedPicker([
      { method: 'GET', path: '/a', weight: 3 },
      { method: 'GET', path: '/b' },
    ]);
    const paths = Array.from({ length: 8 }, () => pick().path);
    expect(paths.filter((p) => p === '/a')).toHaveLength(6);
    expect(paths.filter((p) => p === '/b')).toHaveLength(2);
  });
});

describe('maths', () => {
  it('reports the median with the min–max spread', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('computes scaling efficiency against N × one replica', () => {
    expect(scalingEfficiency(30, 3, 10)).toBe(1);
    expect(scalingEfficiency(15, 3, 10)).toBe(0.5);
  });

  it('counts HIT and STALE answers as hits', () => {
    const v = {
      ...variant('x', 1, [1]),
      repeats: [repeat(1, { perCacheStatus: { HIT: 6, STALE: 2, MISS: 2 } })],
    };
    expect(hitRatio(v)).toBe(0.8);
  });

  it('checks conservation: servers count what the runner counted, plus at most the in-flight requests', () => {
    const v = variant('x', 1, [10]);
    expect(conservation(v, 6)).toEqual({ worstGap: 1, margin: 6, holds: true });
    const lost = { ...v, repeats: [repeat(10, { serverCounted: { 'woody-1': 15 } })] };
    expect(conservation(lost, 6)?.holds).toBe(false); // the runner counted requests no server saw
    const extra = { ...v, repeats: [repeat(10, { serverCounted: { 'woody-1': 30 } })] };
    expect(conservation(extra, 6)?.holds).toBe(false);
  });

  it('summarizes speed-up against the first variant and efficiency within one heavy mode', () => {
    const rows = summarize([fixture]);
    expect(rows.map((r) => r.requestsPerSecond.median)).toEqual([10, 29, 20, 39]);
    expect(rows[1]!.speedUp).toBeCloseTo(2.9);
    expect(rows[1]!.efficiency).toBeCloseTo(29 / 30);
    expect(rows[3]!.efficiency).toBeCloseTo(39 / 40);
  });
});

describe('report', () => {
  it('writes report.json, report.md and a self-contained report.html with SVG charts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scale-lab-report-'));
    await writeReport([fixture], directory);
    expect((await readdir(directory)).sort()).toEqual(['charts', 'report.html', 'report.json', 'report.md']);
    const html = await readFile(join(directory, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Heavy throughput vs replicas');
    expect(html).not.toMatch(/(src|href)="https?:/); // nothing to load from the network
    const markdown = await readFile(join(directory, 'report.md'), 'utf8');
    expect(markdown).toContain('| replicas | sleep × 3 | 29.0 (28.0–30.0) |');
    expect(markdown).toContain('test cpu');
    expect(markdown).toContain('time curl');
    expect(JSON.parse(await readFile(join(directory, 'report.json'), 'utf8')).rows).toHaveLength(4);
    expect(markdown).toContain('Every number was measured by the Node runner');
  });

  it('says which runner measured what when k6 results are compared with the Node runner', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scale-lab-report-'));
    await writeReport([fixture, { ...fixture, scenario: 'replicas-k6', runner: 'k6' }], directory);
    const markdown = await readFile(join(directory, 'report.md'), 'utf8');
    expect(markdown).toContain('Measured by the Node runner: replicas; by k6: replicas-k6');
    expect(markdown).not.toContain('Every number was measured by the Node runner');
  });
});
