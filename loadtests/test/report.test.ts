import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forRun, requestWheel, scenarios } from '../scenarios/index.js';
import { expandPath, weightedPicker } from '../src/load.js';
import { modelOf } from '../src/measure.js';
import { ceilingShare, conservation, littlesLaw } from '../src/report/checks.js';
import { compareReports, difference } from '../src/report/compare.js';
import { recovery, RECOVERY_STABLE_SECONDS } from '../src/report/recovery.js';
import { summarize } from '../src/report/summary.js';
import { faultsTable } from '../src/report/tables.js';
import { buildReport, writeReport } from '../src/report/write.js';
import type { FaultWindow, RepeatResult, ScenarioResult, VariantResult } from '../src/schema.js';
import { hitRatio, scalingEfficiency, spread } from '../src/stats.js';
import { errorKind } from '../src/tally.js';

const latencyOf = (rps: number) => ({
  p50: 1000 / rps,
  p90: 1100 / rps,
  p95: 1200 / rps,
  p99: 1500 / rps,
  max: 2000 / rps,
  mean: 1000 / rps,
});

// One client at `rps` answers: mean latency 1000 / rps ms, so Little's law gives exactly 1 in flight.
const repeat = (rps: number, overrides: Partial<RepeatResult> = {}): RepeatResult => ({
  requests: rps * 2,
  non2xx: 0,
  errors: 0,
  durationSeconds: 2,
  requestsPerSecond: rps,
  latency: latencyOf(rps),
  endpoints: {
    'GET /api/misc/heavy?name=replicas-{n}': {
      requests: rps * 2,
      statuses: { '200': rps * 2 },
      errors: {},
      latency: latencyOf(rps),
    },
  },
  timeline: [
    {
      second: 0,
      requests: rps,
      errors: 0,
      latency: { 'GET /api/misc/heavy?name=replicas-{n}': { p50: 1000 / rps, p99: 1500 / rps } },
    },
    {
      second: 1,
      requests: rps,
      errors: 0,
      latency: { 'GET /api/misc/heavy?name=replicas-{n}': { p50: 1000 / rps, p99: 1500 / rps } },
    },
  ],
  perInstance: { 'woody-1': rps * 2 },
  perCacheStatus: { none: rps * 2 },
  serverCounted: { 'woody-1': rps * 2 + 1 },
  generatorCpu: 0.2,
  ...overrides,
});

const variant = (name: string, replicas: number, rps: number[], group = 'sleep'): VariantResult => ({
  name,
  model: 'closed',
  modelDescription: 'closed: 1 connection × 2 s',
  connections: 1,
  replicas,
  woodyReplicas: replicas,
  movieReplicas: 1,
  cache: 'off',
  heavyMode: group,
  group,
  target: 'site',
  repeats: rps.map((r) => repeat(r)),
});

const fixture: ScenarioResult = {
  schemaVersion: 2,
  runner: 'node',
  scenario: 'replicas',
  title: 'Replicas',
  expectation: 'grows',
  model: 'closed: 1 connection × 2 s',
  quick: true,
  sections: ['scaling', 'per-replica'],
  ceiling: { connections: 16, bareNode: 100, nginx: 80 },
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
      expect.arrayContaining(['baseline', 'replicas', 'cache', 'tutorial', 'faults']),
    );
    for (const scenario of scenarios) {
      for (const run of [forRun(scenario, false), forRun(scenario, true)]) {
        // A quick fault experiment is one repeat: each repeat is a whole fault and the stack's recovery.
        const faults = run.variants.some((v) => v.fault);
        expect(run.repeats, scenario.name).toBeGreaterThanOrEqual(faults && run !== scenario ? 1 : 3);
        expect(run.variants.length, scenario.name).toBeGreaterThan(0);
      }
    }
  });

  it('inject each fault under open-model load, with whole seconds before it and room to recover', () => {
    const faults = scenarios.find((s) => s.name === 'faults')!;
    const kinds = faults.variants.map((v) => v.fault?.kind);
    expect(kinds).toEqual(['kill-replica', 'freeze-redis', 'freeze-database', 'scale-in', 'restart-all']);
    for (const run of [forRun(faults, false), forRun(faults, true)]) {
      for (const { fault, woodyReplicas, model: own } of run.variants) {
        const model = own ?? run.model;
        expect(model.kind).toBe('open');
        if (model.kind !== 'open') continue;
        expect(woodyReplicas).toBe(3);
        expect(fault!.atSeconds).toBeGreaterThanOrEqual(3);
        const over = fault!.atSeconds + ('holdSeconds' in fault! ? fault!.holdSeconds : 0);
        expect(over + 1 + RECOVERY_STABLE_SECONDS, fault!.kind).toBeLessThanOrEqual(model.durationSeconds);
      }
    }
    // CI runs the quick run on three targets: its load stays about a minute.
    const quick = forRun(faults, true);
    const seconds = quick.variants.reduce((sum, v) => {
      const model = modelOf(quick, v);
      return sum + quick.warmupSeconds + quick.repeats * (model.kind === 'open' ? model.durationSeconds : 0);
    }, 0);
    expect(seconds).toBeLessThanOrEqual(65);
  });

  it('compare replicas at the same offered load: one connection count for every variant', () => {
    const replicas = scenarios.find((s) => s.name === 'replicas')!;
    expect(replicas.variants.map((v) => v.woodyReplicas)).toEqual([1, 2, 4, 8, 1, 2, 3]);
    expect(replicas.model.kind).toBe('closed');
    expect(replicas.variants.every((v) => v.model === undefined)).toBe(true);
  });

  it('measure latency at a fixed rate (open model) and throughput with clients (closed)', () => {
    const cache = scenarios.find((s) => s.name === 'cache')!;
    const kinds = cache.variants.map((v) => (v.model ?? cache.model).kind);
    expect(kinds).toEqual(['open', 'stampede', 'stampede', 'open', 'closed']);
    for (const variant of scenarios.find((s) => s.name === 'baseline')!.variants) {
      expect(variant.model?.kind).toBe('open');
      expect(variant.requests).toHaveLength(1); // one endpoint per row, never a mix
    }
  });

  it('send the tutorial’s 500 requests at once', () => {
    expect(scenarios.find((s) => s.name === 'tutorial')!.model).toEqual({ kind: 'burst', requests: 500 });
  });

  it('show both truths in the tutorial: a trivial and a queued movie-api, each on one replica and behind the load balancer', () => {
    const tutorial = scenarios.find((s) => s.name === 'tutorial')!;
    expect(tutorial.sections).toContain('scaling'); // speed-up: load balancer ÷ one replica, per group
    for (const run of [forRun(tutorial, false), forRun(tutorial, true)]) {
      expect(run.model.kind).toBe('burst');
      expect(run.variants.map((v) => [v.group, v.target])).toEqual([
        ['trivial', 'movie-direct'],
        ['trivial', 'movie-lb'],
        ['queued', 'movie-direct'],
        ['queued', 'movie-lb'],
      ]);
      for (const variant of run.variants) {
        expect(variant.movieReplicas, variant.name).toBe(4); // the tutorial's four
        expect(variant.movieEnv?.CACHE_ENABLED, variant.name).toBe('false');
        const workMs = Number(variant.movieEnv?.MOVIE_WORK_MS ?? 0);
        if (variant.group === 'trivial') {
          expect(workMs, variant.name).toBe(0);
        } else {
          expect(workMs, variant.name).toBeGreaterThan(0);
          expect(variant.movieEnv?.MOVIE_WORK_CONCURRENCY, variant.name).toBe('1');
        }
      }
    }
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

  it('spreads the rare requests of a mix over its cycle instead of sending them together', () => {
    const wheel = requestWheel([
      { method: 'GET', path: '/time', weight: 100 },
      { method: 'GET', path: '/last', weight: 5 },
      { method: 'GET', path: '/heavy', weight: 2 },
    ]).map((spec) => spec.path);
    expect(wheel).toHaveLength(107);
    const at = (path: string) => wheel.flatMap((p, i) => (p === path ? [i] : []));
    expect(at('/last')).toHaveLength(5);
    expect(at('/heavy')).toHaveLength(2);
    // Close to evenly spaced (107 / 5 and 107 / 2 apart): a fault of a second at 107 req/s meets each kind.
    for (const [path, gap] of [
      ['/last', 16],
      ['/heavy', 40],
    ] as const) {
      const positions = at(path);
      for (let i = 1; i < positions.length; i++)
        expect(positions[i]! - positions[i - 1]!, path).toBeGreaterThanOrEqual(gap);
    }
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
    const v = { ...variant('x', 1, [10]), connections: 6 };
    expect(conservation(v)).toEqual({ worstGap: 1, margin: 6, holds: true });
    const lost = { ...v, repeats: [repeat(10, { serverCounted: { 'woody-1': 15 } })] };
    expect(conservation(lost)?.holds).toBe(false); // the runner counted requests no server saw
    const extra = { ...v, repeats: [repeat(10, { serverCounted: { 'woody-1': 30 } })] };
    expect(conservation(extra)?.holds).toBe(false);
    expect(conservation({ ...v, model: 'open' })?.margin).toBe(0); // an open run waits for every answer
  });

  it("marks a closed row whose latency × throughput exceeds its connections (Little's law)", () => {
    expect(littlesLaw(variant('ok', 1, [10]))).toEqual({ inFlight: 1, connections: 1, holds: true });
    // The report this issue started from: 5,359 req/s × 2.61 ms = 14 in flight on 8 connections.
    const inflated = {
      ...variant('inflated', 1, [5359]),
      connections: 8,
      repeats: [repeat(5359, { latency: { ...latencyOf(5359), mean: 2.61 } })],
    };
    expect(littlesLaw(inflated)?.holds).toBe(false);
    expect(littlesLaw(inflated)?.inFlight).toBeCloseTo(13.99, 1);
    // Requests unanswered at the end were in flight too: short runs of slow requests count them.
    const short = {
      ...variant('short', 1, [1]),
      repeats: [repeat(1, { latency: { ...latencyOf(1), mean: 500 }, unfinishedMs: 1000 })],
    };
    expect(littlesLaw(short)?.inFlight).toBeCloseTo(1);
    expect(littlesLaw({ ...variant('open', 1, [10]), model: 'open' })).toBeUndefined();
  });

  it('shows each closed variant as a share of the generator ceiling and flags it above 70 %', () => {
    const ceiling = { connections: 16, bareNode: 100, nginx: 80 };
    expect(ceilingShare(variant('x', 1, [50]), ceiling)).toEqual({ share: 0.5, generatorBound: false });
    expect(ceilingShare(variant('x', 1, [75]), ceiling)?.generatorBound).toBe(true);
  });

  it('names the kind of a failed request from its error code', () => {
    expect(errorKind(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('timeout');
    expect(errorKind({ cause: { code: 'ECONNREFUSED' } })).toBe('refused');
    expect(errorKind(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe('reset');
    expect(errorKind(Object.assign(new Error('x'), { code: 'HPE_INVALID_CONSTANT' }))).toBe('parse');
    expect(errorKind(new Error('x'))).toBe('other');
  });

  it('summarizes speed-up and efficiency against the one-replica variant of the same group', () => {
    const rows = summarize([fixture]);
    expect(rows.map((r) => r.requestsPerSecond.median)).toEqual([10, 29, 20, 39]);
    expect(rows[1]!.speedUp).toBeCloseTo(2.9);
    expect(rows[1]!.efficiency).toBeCloseTo(29 / 30);
    expect(rows[3]!.efficiency).toBeCloseTo(39 / 40);
  });

  it('calls a change within both spreads no difference, and gives a ratio otherwise', () => {
    expect(difference({ median: 10, min: 9, max: 11 }, { median: 10.5, min: 10, max: 12 }, String)).toMatch(
      /no difference/,
    );
    expect(difference({ median: 10, min: 9, max: 11 }, { median: 20, min: 19, max: 21 }, String)).toBe(
      '10 → 20 (2.00×)',
    );
    const faster = {
      ...fixture,
      variants: fixture.variants.map((v) => ({
        ...v,
        repeats: v.repeats.map((r) => repeat(r.requestsPerSecond * 2)),
      })),
    };
    const table = compareReports(buildReport([fixture]), buildReport([faster]));
    expect(table).toContain(
      '| replicas | sleep × 3 | GET /api/misc/heavy?name=replicas-{n} | 29.0 → 58.0 (2.00×) |',
    );
    expect(compareReports(buildReport([fixture]), buildReport([fixture]))).toContain('no difference');
  });
});

describe('report', () => {
  it('writes report.json, report.md and a self-contained report.html with SVG charts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scale-lab-report-'));
    await writeReport([fixture], directory);
    expect((await readdir(directory)).sort()).toEqual(['charts', 'report.html', 'report.json', 'report.md']);
    const html = await readFile(join(directory, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Throughput vs replicas: measured, ideal and the USL fit');
    expect(html).toContain('per second'); // a timeline chart per variant
    expect(html).not.toMatch(/(src|href)="https?:/); // nothing to load from the network
    const markdown = await readFile(join(directory, 'report.md'), 'utf8');
    expect(markdown).toContain(
      '| replicas | sleep × 3 | closed: 1 connection × 2 s | GET /api/misc/heavy?name=replicas-{n} | 29.0 (28.0–30.0) |',
    );
    expect(markdown).toContain('Little ok: 1.0 in flight / 1');
    expect(markdown).toMatch(/σ \(contention\) = [\d.]+, κ \(coherency\)/);
    expect(markdown).toContain('Generator ceiling in this run');
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

  it('shows a mix per endpoint, error kinds and statuses, and an interrupted variant as interrupted', async () => {
    const mixed = repeat(10, {
      endpoints: {
        'GET /a': {
          requests: 10,
          statuses: { '200': 9, '503': 1 },
          errors: { timeout: 2 },
          latency: latencyOf(10),
        },
        'GET /b': { requests: 10, statuses: { '200': 10 }, errors: {}, latency: latencyOf(100) },
      },
    });
    const result: ScenarioResult = {
      ...fixture,
      scenario: 'mix',
      sections: [],
      variants: [
        { ...variant('mixed', 1, []), repeats: [mixed] },
        { ...variant('stopped', 1, []), interrupted: true },
      ],
    };
    const directory = await mkdtemp(join(tmpdir(), 'scale-lab-report-'));
    await writeReport([result], directory);
    const markdown = await readFile(join(directory, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| mix \| mixed \| [^|]+ \| all \| [\d.]+ \([^)]*\) \| – \| – \| – \|/);
    expect(markdown).toContain(
      '| GET /a | 5.0 (5.0–5.0) | 100 (100–100) | 120 | 150 | 2 (timeout 2) | 1 (503 × 1) |',
    );
    expect(markdown).toContain('| GET /b | 5.0 (5.0–5.0) | 10 (10–10) | 12 | 15 | 0 | 0 |');
    expect(markdown).toContain('| mix | stopped | closed: 1 connection × 2 s | – | interrupted |');
    expect(markdown).not.toContain('NaN');
  });
});

/** A repeat at 100 answers per second with a fault: `ok` per second overrides the 2xx answers. */
const faulted = (ok: number[], window: Partial<FaultWindow> = {}, non2xx: number[] = []): RepeatResult =>
  repeat(100, {
    timeline: ok.map((answers, second) => ({
      second,
      requests: answers + (non2xx[second] ?? 0),
      non2xx: non2xx[second] ?? 0,
      errors: 0,
      latency: {},
    })),
    fault: { kind: 'kill-replica', startSecond: 3.2, endSecond: 3.2, loadSeconds: ok.length, ...window },
  });

describe('recovery after a fault', () => {
  it('counts from the fault until 2xx/s are back within 10 % of before, for 3 s', () => {
    // Before: 100/s. A dip at 3 and 4, 95 (within 10 %) from 5 on.
    expect(recovery(faulted([100, 100, 100, 40, 80, 95, 100, 98, 100]))).toEqual({
      before: 100,
      lowest: 40,
      seconds: expect.closeTo(1.8, 5),
    });
    // One good second is not a recovery: 6 falls out again, so it is back from 7.
    expect(recovery(faulted([100, 100, 100, 40, 100, 100, 60, 100, 100, 100]))?.seconds).toBeCloseTo(3.8);
  });

  it('is 0 when throughput never left the band, and null when it was not back within the run', () => {
    expect(recovery(faulted([100, 100, 100, 95, 105, 100, 100]))?.seconds).toBe(0);
    expect(recovery(faulted([100, 100, 100, 40, 50, 60, 70, 80, 100, 100]))?.seconds).toBeNull();
  });

  it('counts non-2xx answers as failed, and waits until the fault is over', () => {
    // 503s in second 3: answers, but not throughput.
    expect(recovery(faulted([100, 100, 100, 50, 100, 100, 100], {}, [0, 0, 0, 50]))).toMatchObject({
      lowest: 50,
      seconds: expect.closeTo(0.8, 5),
    });
    // A restart that dips late, at 6: within the band at 3–5 does not count while the fault goes on.
    const late = faulted([100, 100, 100, 100, 100, 100, 60, 100, 100, 100, 100], { endSecond: 7.5 });
    expect(recovery(late)?.seconds).toBeCloseTo(3.8);
  });

  it('has nothing to say without a fault, or without a whole second before it', () => {
    expect(recovery(repeat(10))).toBeUndefined();
    expect(recovery(faulted([100, 100, 100, 100], { startSecond: 0.5 }))).toBeUndefined();
  });
});

describe('faults table', () => {
  const failures = faulted([100, 100, 100, 40, 100, 100, 100, 100], { endSecond: 3.2 }, [0, 0, 0, 3]);
  failures.endpoints = {
    'GET /api/misc/time': {
      requests: 797,
      statuses: { '200': 794, '503': 3 },
      errors: { reset: 2 },
      latency: { ...latencyOf(1000), max: 180 },
    },
    'GET /api/products/last': {
      requests: 40,
      statuses: { '200': 40 },
      errors: {},
      latency: { ...latencyOf(10), max: 2100 },
    },
  };
  const result: ScenarioResult = {
    ...fixture,
    scenario: 'faults',
    sections: ['faults'],
    variants: [
      { ...variant('kill a replica', 3, []), model: 'open', repeats: [failures] },
      {
        ...variant('freeze Redis', 3, []),
        model: 'open',
        repeats: [faulted([100, 100, 100, 40, 50, 60, 70, 80], { kind: 'freeze-redis', endSecond: 5.2 })],
      },
      variant('no fault', 3, [10]),
    ],
  };

  it('shows per fault what failed by endpoint and kind, the worst latency, and the recovery', () => {
    const table = faultsTable(summarize([result]));
    expect(table).toContain(
      '| kill a replica | kill-replica at 3.2 s, over at once | all | 5 | 2100 | – | 100 → 40 | 0.8 |',
    );
    expect(table).toContain('|  |  | GET /api/misc/time | 5 (reset 2, 503 × 3) | 180 | 1.50 |');
    expect(table).toContain('|  |  | GET /api/products/last | 0 | 2100 | 150 |');
    expect(table).toContain(
      '| freeze Redis | freeze-redis at 3.2 s, for 2.0 s | all | 0 | 20 | – | 100 → 40 | not back within the run |',
    );
    expect(table).not.toContain('no fault');
  });

  it("shades each fault on its variant's timeline in the written report", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scale-lab-report-'));
    await writeReport([result], directory);
    const markdown = await readFile(join(directory, 'report.md'), 'utf8');
    expect(markdown).toContain('faults: what each fault cost, and how soon throughput came back');
    expect(markdown).not.toContain('NaN');
    const chart = await readFile(join(directory, 'charts', 'faults-timeline-freeze-redis.svg'), 'utf8');
    expect(chart).toContain('freeze-redis'); // the shaded window's label
  });
});
