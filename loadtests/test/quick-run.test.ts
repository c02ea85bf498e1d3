import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../scenarios/index.js';
import { writeReport, type Report } from '../src/report/write.js';
import { runScenarios } from '../src/run.js';
import type { ScenarioResult } from '../src/schema.js';
import type { StackMode } from '../src/stacks/index.js';

// The main job's measuring part, for real: `run --quick`, then the report. On the local stack by default;
// CI runs this file again with SCALE_LAB_TARGET=compose and =swarm against the built images.
const target = (process.env.SCALE_LAB_TARGET ?? 'local') as StackMode;

describe(`a real --quick run (--target ${target})`, () => {
  let results: ScenarioResult[];
  let report: Report;
  let directory: string;
  let seconds: number;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'scale-lab-quick-'));
    const started = Date.now();
    results = await runScenarios({
      scenarios,
      quick: true,
      target,
      resultsDir: join(directory, 'results'),
      log: () => undefined,
    });
    seconds = (Date.now() - started) / 1000;
    report = await writeReport(results, join(directory, 'report'));
  }, 900_000);

  const row = (scenario: string, variant: string) =>
    report.rows.find((r) => r.scenario === scenario && r.variant === variant)!;

  it('writes the results and the report, with measured data for every scenario and variant', () => {
    for (const file of ['report.html', 'report.md', 'report.json'])
      expect(existsSync(join(directory, 'report', file))).toBe(true);
    expect(results.map((r) => r.scenario)).toEqual(scenarios.map((s) => s.name));
    for (const result of results) {
      for (const variant of result.variants) {
        expect(variant.repeats.length, `${result.scenario} ${variant.name}`).toBeGreaterThanOrEqual(3);
        for (const repeat of variant.repeats)
          expect(repeat.requests, `${result.scenario} ${variant.name}`).toBeGreaterThan(0);
      }
    }
    console.log(`[loadtests] quick run (--target ${target}) measured in ${seconds.toFixed(0)} s`);
  });

  it('shows 3 sleep-mode replicas serving more than 1.5× the heavy throughput of one', () => {
    expect(row('replicas', 'sleep × 3').requestsPerSecond.median).toBeGreaterThan(
      1.5 * row('replicas', 'sleep × 1').requestsPerSecond.median,
    );
  });

  it('shows a warm cache hit at least 10× faster (p50) than a miss', () => {
    expect(row('cache', 'warm').p50 * 10).toBeLessThanOrEqual(row('cache', 'off').p50);
    expect(row('cache', 'warm').hitRatio).toBeGreaterThan(0.9);
    expect(row('cache', 'off').hitRatio).toBe(0);
  });

  it('answers all 500 tutorial requests with 200, on both entry points', () => {
    const tutorial = results.find((r) => r.scenario === 'tutorial')!;
    for (const variant of tutorial.variants) {
      for (const repeat of variant.repeats) {
        expect(repeat).toMatchObject({ requests: 500, errors: 0, non2xx: 0 });
        expect(repeat.perRequestMs!.every((ms) => Number.isFinite(ms))).toBe(true);
      }
    }
    expect(Object.keys(row('tutorial', 'load balancer').perInstance)).toHaveLength(2);
    expect(Object.keys(row('tutorial', 'one replica').perInstance)).toHaveLength(1);
  });

  it('serves no request for the big image from the origin through the cdn after warm-up', () => {
    const offload = results.find((r) => r.scenario === 'offload')!;
    const [origin, cdn] = offload.variants;
    for (const repeat of origin!.repeats) expect(repeat.offload!.bigImageFromOrigin).toBe(1);
    for (const repeat of cdn!.repeats) {
      expect(repeat.offload!.bigImageFromOrigin).toBe(0);
      expect(repeat.perCacheStatus.HIT).toBeGreaterThanOrEqual(1); // the image came from the cdn's cache
    }
    expect(row('offload', 'cdn').offload!.originBytes).toBeLessThan(
      row('offload', 'origin').offload!.originBytes / 10,
    );
    expect(row('offload', 'cdn').offload!.pageLoadMs.median).toBeLessThan(
      row('offload', 'origin').offload!.pageLoadMs.median,
    );
  });

  it('counts every request the servers counted (conservation, within the in-flight margin)', () => {
    for (const r of report.rows.filter((row) => row.scenario !== 'offload')) {
      expect(r.conservation, `${r.scenario} ${r.variant}`).toBeDefined();
      expect(r.conservation!.holds, `${r.scenario} ${r.variant}: ${JSON.stringify(r.conservation)}`).toBe(
        true,
      );
    }
  });

  it('records no errors and the environment fingerprint', () => {
    for (const r of report.rows) expect(r.errors + r.non2xx, `${r.scenario} ${r.variant}`).toBe(0);
    expect(results[0]!.fingerprint).toMatchObject({
      stackMode: target,
      cpuCount: expect.any(Number),
      nginx: expect.stringMatching(/^1\./),
    });
    // Container stacks report the versions inside the images, and the engine's.
    if (target !== 'local') expect(results[0]!.fingerprint.docker).toMatch(/^\d+\./);
  });
});
