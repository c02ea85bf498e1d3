import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCache } from '@scale-lab/cache';
import { SingleBar } from 'cli-progress';
import { forRun, type Scenario, type Variant } from '../scenarios/index.js';
import { fingerprint } from './fingerprint.js';
import { runBurst, runClosed } from './load.js';
import { measurePageLoad } from './offload.js';
import type { RepeatResult, ScenarioResult, VariantResult } from './schema.js';
import { difference, drained, serverCounts } from './server-counts.js';
import { startBenchStack, type BenchStack, type ServiceName, type StackMode } from './stacks/index.js';

export interface RunOptions {
  scenarios: readonly Scenario[];
  quick: boolean;
  /** Which stack to measure: local processes (default), the compose project or the Swarm stack. */
  target?: StackMode;
  /** Where result files go: <resultsDir>/<scenario>.json */
  resultsDir: string;
  log: (line: string) => void;
  /** Set when the run should stop early (Ctrl-C). */
  signal?: AbortSignal;
}

const DEFAULT_WOODY_ENV = { CACHE_ENABLED: 'false' };

function currentEnv(variant: Variant, service: ServiceName): Record<string, string> {
  return service === 'woody-api' ? { ...DEFAULT_WOODY_ENV, ...variant.woodyEnv } : { ...variant.movieEnv };
}

/** Brings the stack to the variant's replicas and environment (replicas are replaced when the env changes). */
async function applyVariant(stack: BenchStack, variant: Variant, applied: Map<ServiceName, string>) {
  for (const [service, count] of [
    ['woody-api', variant.woodyReplicas ?? 1],
    ['movie-api', variant.movieReplicas ?? 1],
  ] as const) {
    const env = currentEnv(variant, service);
    const signature = JSON.stringify([count, env]);
    if (applied.get(service) === signature) continue;
    await stack.scale(service, count, env);
    applied.set(service, signature);
  }
}

function targetOf(stack: BenchStack, variant: Variant) {
  const movie = stack.replicas('movie-api');
  switch (variant.target) {
    case 'site':
      return { baseUrl: stack.siteUrl, replicas: stack.replicas('woody-api') };
    case 'movie-lb':
      return { baseUrl: stack.movieUrl, replicas: movie };
    case 'movie-direct':
      return { baseUrl: movie[0]!.url, replicas: movie.slice(0, 1) };
  }
}

async function measure(
  stack: BenchStack,
  scenario: Scenario,
  variant: Variant,
  baseUrl: string,
  durationSeconds: number,
  counter: { n: number },
) {
  const requests = variant.requests ?? scenario.requests;
  switch (scenario.model.kind) {
    case 'burst':
      return runBurst(baseUrl, requests, scenario.model.requests, counter);
    case 'page':
      return measurePageLoad(`${baseUrl}${scenario.model.path}`, stack.countOrigin);
    case 'closed':
      return runClosed(baseUrl, requests, scenario.model.connections, durationSeconds, counter);
  }
}

function describeModel(scenario: Scenario, staticRateLimit: string): string {
  const model = scenario.model;
  if (model.kind === 'closed') return `closed: ${model.connections} connections × ${model.durationSeconds} s`;
  if (model.kind === 'burst') return `burst: ${model.requests} requests at once`;
  return `page load like a browser (6 connections per host), origin limit_rate ${staticRateLimit}`;
}

/** The main job's measuring part: every scenario, every variant, warm-up then repeats, on one stack. */
export async function runScenarios(options: RunOptions): Promise<ScenarioResult[]> {
  const startedAt = new Date();
  // The lab's 300 kB/s per connection on static files; quick runs use 2 MB/s so the 6 MB image takes 3 s, not 20.
  const staticRateLimit = options.quick ? '2m' : '300k';
  const stack = await startBenchStack(options.target ?? 'local', {
    woodyEnv: DEFAULT_WOODY_ENV,
    staticRateLimit,
    log: options.log,
  });
  const applied = new Map<ServiceName, string>();
  const woodyCache = createCache({ redisUrl: stack.redisUrl, namespace: 'woody' });
  const results: ScenarioResult[] = [];
  try {
    await mkdir(options.resultsDir, { recursive: true });
    const print = await fingerprint(stack.mode, startedAt, await stack.versions());
    for (const definition of options.scenarios) {
      const scenario = forRun(definition, options.quick);
      const steps = scenario.variants.length * (scenario.repeats + 1);
      const bar = new SingleBar(
        { format: `${scenario.name.padEnd(9)} [{bar}] {value}/{total} {variant}`, stream: process.stderr },
        undefined,
      );
      bar.start(steps, 0, { variant: '' });
      const variants: VariantResult[] = [];
      const counter = { n: 0 };
      for (const variant of scenario.variants) {
        if (options.signal?.aborted) break;
        bar.update({ variant: `${variant.name}: starting replicas` });
        await applyVariant(stack, variant, applied);
        const { baseUrl, replicas } = targetOf(stack, variant);
        if (scenario.model.kind === 'page') {
          bar.update({ variant: `${variant.name}: switching the page's assets` });
          await stack.setCdnBaseUrl(variant.assets === 'cdn' ? stack.cdnUrl : '');
          // A page load that fills the cdn (or, for the origin, warms nginx's file cache); not measured.
          bar.update({ variant: `${variant.name}: warm-up page load` });
          await measure(stack, scenario, variant, baseUrl, 0, counter);
        }
        if (variant.cache !== 'cold' && scenario.model.kind === 'closed' && scenario.warmupSeconds > 0) {
          bar.update({ variant: `${variant.name}: warm-up` });
          await measure(stack, scenario, variant, baseUrl, scenario.warmupSeconds, counter);
          await drained(replicas);
        }
        bar.increment(1, { variant: variant.name });
        const repeats: RepeatResult[] = [];
        for (let i = 0; i < scenario.repeats && !options.signal?.aborted; i++) {
          if (variant.cache === 'cold') await woodyCache.clear();
          const counted = scenario.model.kind !== 'page'; // page loads hit nginx's files, not the replicas
          const before = counted ? await serverCounts(replicas) : {};
          const duration = scenario.model.kind === 'closed' ? scenario.model.durationSeconds : 0;
          const repeat = await measure(stack, scenario, variant, baseUrl, duration, counter);
          if (counted) {
            await drained(replicas);
            repeat.serverCounted = difference(await serverCounts(replicas), before);
          }
          repeats.push(repeat);
          bar.increment(1, { variant: `${variant.name}: ${Math.round(repeat.requestsPerSecond)} req/s` });
        }
        const env = currentEnv(variant, 'woody-api');
        variants.push({
          name: variant.name,
          woodyReplicas: stack.replicas('woody-api').length,
          movieReplicas: stack.replicas('movie-api').length,
          cache: variant.cache ?? (env.CACHE_ENABLED === 'false' ? 'off' : 'on'),
          heavyMode: env.HEAVY_MODE,
          target: variant.target,
          repeats,
        });
      }
      bar.stop();
      const result: ScenarioResult = {
        schemaVersion: 1,
        runner: 'node',
        scenario: scenario.name,
        title: scenario.title,
        expectation: scenario.expectation,
        connections: scenario.model.kind === 'closed' ? scenario.model.connections : undefined,
        model: describeModel(scenario, staticRateLimit),
        quick: options.quick,
        fingerprint: print,
        variants,
      };
      await writeFile(join(options.resultsDir, `${scenario.name}.json`), JSON.stringify(result, null, 2));
      results.push(result);
      if (options.signal?.aborted) break;
    }
  } finally {
    await woodyCache.close();
    await stack.stop();
  }
  return results;
}
