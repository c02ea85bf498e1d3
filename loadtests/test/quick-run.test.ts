import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { forRun, scenarios, tutorial as tutorialScenario } from '../scenarios/index.js';
import { scalingCurves } from '../src/report/summary.js';
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
        // A fault experiment is one repeat in quick runs: each is a whole fault and the stack's recovery.
        const repeats = variant.repeats.some((r) => r.fault) ? 1 : 3;
        expect(variant.repeats.length, `${result.scenario} ${variant.name}`).toBeGreaterThanOrEqual(repeats);
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

  /** An endpoint's row of a variant: a mix is compared endpoint by endpoint, never as one latency. */
  const endpoint = (scenario: string, variant: string, path: string) =>
    row(scenario, variant).endpoints.find((e) => e.endpoint.includes(path))!;

  it('shows a warm hit at a fixed rate at least 20× faster (p50) than a miss at a fixed rate', () => {
    for (const path of ['/api/misc/heavy', '/api/products/last']) {
      const hit = endpoint('cache', 'hit @ 200/s', path).p50.median;
      const miss = endpoint('cache', 'miss @ 6/s', path).p50.median;
      expect(hit * 20, `${path}: hit ${hit} ms, miss ${miss} ms`).toBeLessThanOrEqual(miss);
    }
    expect(row('cache', 'hit @ 200/s').hitRatio).toBeGreaterThan(0.9);
    expect(row('cache', 'miss @ 6/s').hitRatio).toBe(0);
    expect(row('cache', 'hit @ 200/s').modelKind).toBe('open');
  });

  it('runs the producer once across 3 replicas for a cold stampede, and once per replica without the lock', () => {
    const runs = (variant: string) =>
      results
        .find((r) => r.scenario === 'cache')!
        .variants.find((v) => v.name === variant)!
        .repeats.map((r) => r.stampede!.producerRuns);
    expect(runs('stampede')).toEqual([1, 1, 1]);
    for (const n of runs('stampede, no cross-replica lock')) expect(n).toBeGreaterThan(1);
    expect(row('cache', 'stampede').stampede!.lastAnswerMs.median).toBeGreaterThanOrEqual(
      row('cache', 'stampede').stampede!.firstAnswerMs.median,
    );
  });

  it("checks Little's law and the generator ceiling on every closed row, and holds Little's law on warm hits", () => {
    const closed = report.rows.filter((r) => r.modelKind === 'closed');
    expect(closed.length).toBeGreaterThan(0);
    for (const r of closed) {
      expect(r.checks.littlesLaw, `${r.scenario} ${r.variant}`).toBeDefined();
      expect(r.checks.ceiling, `${r.scenario} ${r.variant}`).toBeDefined();
    }
    const warm = row('cache', 'hits, closed').checks.littlesLaw!;
    expect(warm.holds, JSON.stringify(warm)).toBe(true);
    expect(results[0]!.ceiling!.bareNode).toBeGreaterThan(0);
  });

  it('reports open-model rows with their schedule, the USL fit, the overhead rows and a timeline per repeat', () => {
    const open = report.rows.filter((r) => r.modelKind === 'open');
    expect(open.length).toBeGreaterThanOrEqual(5);
    for (const r of open) expect(r.checks.schedule!.sends, `${r.scenario} ${r.variant}`).toBeGreaterThan(0);
    const sleep = scalingCurves(results).find((c) => c.group === 'sleep')!;
    expect(sleep.fit).toBeDefined();
    expect(sleep.fit!.sigma).toBeLessThan(0.2); // sleep-mode replicas barely contend
    expect(row('overhead', 'woody direct').requestsPerSecond.median).toBeGreaterThan(0);
    expect(row('overhead', 'nginx → bare Node').requestsPerSecond.median).toBeGreaterThan(0);
    for (const result of results.filter((r) => r.scenario !== 'offload'))
      for (const variant of result.variants)
        for (const repeat of variant.repeats)
          expect(repeat.timeline.length, `${result.scenario} ${variant.name}`).toBeGreaterThan(0);
  });

  it('answers every tutorial request with 200, on both entry points', () => {
    const tutorial = results.find((r) => r.scenario === 'tutorial')!;
    const { model } = forRun(tutorialScenario, true);
    const requests = model.kind === 'burst' ? model.requests : Number.NaN;
    for (const variant of tutorial.variants) {
      for (const repeat of variant.repeats) {
        expect(repeat).toMatchObject({ requests, errors: 0, non2xx: 0 });
        expect(repeat.perRequestMs!.every((ms) => Number.isFinite(ms))).toBe(true);
      }
    }
    for (const group of ['trivial', 'queued']) {
      expect(Object.keys(row('tutorial', `${group}, load balancer`).perInstance)).toHaveLength(4);
      expect(Object.keys(row('tutorial', `${group}, one replica`).perInstance)).toHaveLength(1);
    }
  });

  it('shows the queued movie service gaining from the load balancer (> 2× on 4 replicas)', () => {
    expect(row('tutorial', 'queued, load balancer').speedUp).toBeGreaterThan(2);
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
    const counted = results.flatMap((result) =>
      result.variants
        // A fault's killed or replaced replicas take their counters with them: no conservation there.
        .filter((v) => v.model !== 'page' && !v.target.startsWith('reference') && !v.repeats[0]?.fault)
        .map((v) => row(result.scenario, v.name)),
    );
    expect(counted.length).toBeGreaterThan(10);
    for (const r of counted) {
      const check = r.checks.conservation;
      expect(check, `${r.scenario} ${r.variant}`).toBeDefined();
      expect(check!.holds, `${r.scenario} ${r.variant}: ${JSON.stringify(check)}`).toBe(true);
    }
  });

  it('injects every fault under load, and reports what failed, the worst latency and the recovery', async () => {
    const faults = report.rows.filter((r) => r.scenario === 'faults');
    expect(faults.map((r) => r.fault?.kind)).toEqual([
      'kill-replica',
      'freeze-redis',
      'freeze-database',
      'scale-in',
      'restart-all',
    ]);
    for (const r of faults) {
      // Injected on time (3 s in), with whole seconds before it to compare the recovery with.
      expect(r.fault!.startSecond.median, r.variant).toBeGreaterThan(2.9);
      expect(r.fault!.startSecond.median, r.variant).toBeLessThan(4);
      for (const recovered of r.fault!.recoveries) expect(recovered!.before, r.variant).toBeGreaterThan(50);
    }
    // A frozen dependency stalls the requests that use it, not the ones that do not.
    const endpointOf = (variant: string, path: string) =>
      row('faults', variant).endpoints.find((e) => e.endpoint.includes(path))!;
    expect(endpointOf('freeze the database', '/api/products/last').max).toBeGreaterThan(500);
    for (const variant of ['freeze Redis', 'freeze the database']) {
      const time = endpointOf(variant, '/api/misc/time');
      expect({ ...time.errors, ...time.non2xx }, variant).toEqual({});
    }
    // A killed replica, a frozen Redis, scaling in and a rolling restart cost no request. In containers
    // (compose and Swarm run the same proxy image) the proxy's reload, when its watcher sees a replica go,
    // may close a keep-alive client connection the instant a request is sent on it: a reset a browser
    // resends by itself (docs/containers.md), and nothing else. The local stack reloads nothing then.
    for (const variant of ['kill a replica', 'freeze Redis', 'scale 3 → 2', 'restart every replica']) {
      const r = row('faults', variant);
      const statuses = r.endpoints.map(
        (e) => `${e.endpoint}: ${JSON.stringify({ ...e.non2xx, ...e.errors })}`,
      );
      const what = `${variant} (${statuses.join('; ')})`;
      expect(r.non2xx, what).toBe(0);
      if (target === 'local') expect(r.errors, what).toBe(0);
      else {
        const kinds = r.endpoints.flatMap((e) => Object.keys(e.errors));
        expect(
          kinds.filter((kind) => kind !== 'reset'),
          what,
        ).toEqual([]);
        expect(r.errors, what).toBeLessThanOrEqual(2);
      }
    }
    const markdown = await readFile(join(directory, 'report', 'report.md'), 'utf8');
    expect(markdown).toContain('| kill a replica | kill-replica at ');
    expect(markdown).toContain('charts/faults-timeline-restart-every-replica.svg');
  });

  it('records no errors and the environment fingerprint', () => {
    for (const r of report.rows.filter((row) => !row.fault))
      expect(r.errors + r.non2xx, `${r.scenario} ${r.variant}`).toBe(0);
    expect(results[0]!.fingerprint).toMatchObject({
      stackMode: target,
      cpuCount: expect.any(Number),
      nginx: expect.stringMatching(/^1\./),
    });
    // Container stacks report the versions inside the images, and the engine's.
    if (target !== 'local') expect(results[0]!.fingerprint.docker).toMatch(/^\d+\./);
  });
});
