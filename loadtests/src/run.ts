import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCache, type Cache } from '@scale-lab/cache';
import { SingleBar } from 'cli-progress';
import { forRun, type Scenario, type Variant } from '../scenarios/index.js';
import { fingerprint } from './fingerprint.js';
import type { LiveEvent } from './live.js';
import { runClosed } from './load.js';
import {
  concurrencyOf,
  describeModel,
  measureFaultRepeat,
  measureRepeat,
  modelOf,
  requestsOf,
  warmUp,
} from './measure.js';
import { startReferenceServers, type ReferenceServers } from './reference.js';
import type { Ceiling, Fingerprint, RepeatResult, ScenarioResult, VariantResult } from './schema.js';
import { spread } from './stats.js';
import { watchSeconds } from './tally.js';
import { startBenchStack, type BenchStack, type ServiceName, type StackMode } from './stacks/index.js';
import { targetOf, type LoadTarget } from './targets.js';

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
  /** Where the run's progress goes while it runs (the live feed): the run, each repeat, each second. */
  publish?: (event: LiveEvent) => void;
}

// The bench measures capacity, not the protections that refuse work past it: no write limit (no scenario
// writes today) and no load shedding (cpu-mode heavy work blocks the event loop by design; shed 503s, which
// the proxy rightly passes on, would count as fast answers).
const DEFAULT_WOODY_ENV = { CACHE_ENABLED: 'false', WRITE_RATE_LIMIT: '0', MAX_EVENT_LOOP_DELAY_MS: '0' };
/** The ceiling is measured with as many clients as the busiest closed scenario. */
const CEILING_CONNECTIONS = 16;

/** Everything a scenario runs with: the stack, the reference servers, the cache to flush, the settings. */
interface RunContext {
  stack: BenchStack;
  references: ReferenceServers;
  woodyCache: Cache;
  staticRateLimit: string;
  signal: AbortSignal | undefined;
  /** Which replicas and environment each service runs now (replicas are replaced when the env changes). */
  applied: Map<ServiceName, string>;
  counter: { n: number };
  publish: (event: LiveEvent) => void;
}

function environmentOf(variant: Variant, service: ServiceName): Record<string, string> {
  return service === 'woody-api' ? { ...DEFAULT_WOODY_ENV, ...variant.woodyEnv } : { ...variant.movieEnv };
}

/** Brings the stack to the variant's replicas and environment. */
async function applyVariant(context: RunContext, variant: Variant) {
  for (const [service, count] of [
    ['woody-api', variant.woodyReplicas ?? 1],
    ['movie-api', variant.movieReplicas ?? 1],
  ] as const) {
    const env = environmentOf(variant, service);
    const signature = JSON.stringify([count, env]);
    if (context.applied.get(service) === signature) continue;
    await context.stack.scale(service, count, env);
    context.applied.set(service, signature);
  }
}

/**
 * The generator's ceiling in this run: the best it does against servers that cost almost nothing to
 * serve. A variant near it measures the generator, not the stack.
 */
async function measureCeiling(references: ReferenceServers, quick: boolean): Promise<Ceiling> {
  const seconds = quick ? 0.5 : 2;
  const best = async (baseUrl: string) => {
    const requests = [{ method: 'GET', path: '/' }] as const;
    await runClosed(baseUrl, requests, CEILING_CONNECTIONS, 0.3, { n: 0 });
    const repeats: number[] = [];
    for (let i = 0; i < 3; i++)
      repeats.push(
        (await runClosed(baseUrl, requests, CEILING_CONNECTIONS, seconds, { n: 0 })).requestsPerSecond,
      );
    return spread(repeats).median;
  };
  return {
    connections: CEILING_CONNECTIONS,
    bareNode: await best(references.bareNodeUrl),
    nginx: await best(references.nginxUrl),
  };
}

/**
 * Brings the stack to the variant (replicas, environment, page assets) and warms it up; returns where the
 * load goes.
 */
async function prepareVariant(
  context: RunContext,
  scenario: Scenario,
  variant: Variant,
  progress: (status: string) => void,
): Promise<LoadTarget> {
  const { stack } = context;
  const model = modelOf(scenario, variant);
  const requests = requestsOf(scenario, variant);
  progress(`${variant.name}: starting replicas`);
  await applyVariant(context, variant);
  const target = targetOf(stack, context.references, variant);
  if (model.kind === 'page') {
    progress(`${variant.name}: switching the page's assets`);
    await stack.setCdnBaseUrl(variant.assets === 'cdn' ? stack.cdnUrl : '');
    // A page load that fills the cdn (or, for the origin, warms nginx's file cache); not measured.
    await measureRepeat(model, target, requests, stack, context.counter);
  }
  if (variant.cache !== 'cold' && scenario.warmupSeconds > 0) {
    progress(`${variant.name}: warm-up`);
    await warmUp(model, target, requests, scenario.warmupSeconds, context.counter);
  }
  return target;
}

/**
 * One repeat, published as it runs: that it starts, then each second of its load as it closes (the tally
 * reports them from a 1 s timer; nothing is added per request).
 */
async function measurePublished(
  context: RunContext,
  scenario: Scenario,
  variant: Variant,
  target: LoadTarget,
  repeat: number,
): Promise<RepeatResult> {
  const where = { scenario: scenario.name, variant: variant.name, repeat };
  context.publish({ type: 'variant', ...where, repeats: scenario.repeats });
  const stop = watchSeconds((second) => context.publish({ type: 'second', ...where, ...second }));
  try {
    return await measureOnce(context, scenario, variant, target);
  } finally {
    stop();
  }
}

/** One repeat; a fault leaves the stack changed, so the variant is applied again before the next measurement. */
async function measureOnce(
  context: RunContext,
  scenario: Scenario,
  variant: Variant,
  target: LoadTarget,
): Promise<RepeatResult> {
  const { stack, counter } = context;
  const model = modelOf(scenario, variant);
  const requests = requestsOf(scenario, variant);
  if (variant.cache === 'cold') await context.woodyCache.clear();
  if (!variant.fault) return measureRepeat(model, target, requests, stack, counter);
  const repeat = await measureFaultRepeat(model, variant.fault, target, requests, stack, counter);
  context.applied.delete('woody-api');
  return repeat;
}

/** One variant: replicas, warm-up, then its repeats, with a line of progress after each. */
async function measureVariant(
  context: RunContext,
  scenario: Scenario,
  variant: Variant,
  progress: (status: string, done?: boolean) => void,
): Promise<VariantResult> {
  const { stack } = context;
  const model = modelOf(scenario, variant);
  let target = await prepareVariant(context, scenario, variant, progress);
  const woodyReplicas = stack.replicas('woody-api').length;
  const movieReplicas = stack.replicas('movie-api').length;
  progress(variant.name, true);
  const repeats: RepeatResult[] = [];
  while (repeats.length < scenario.repeats && !context.signal?.aborted) {
    // After a fault: the variant's replicas again, warmed up like the first time.
    if (repeats.length > 0 && variant.fault)
      target = await prepareVariant(context, scenario, variant, progress);
    const repeat = await measurePublished(context, scenario, variant, target, repeats.length + 1);
    repeats.push(repeat);
    progress(`${variant.name}: ${Math.round(repeat.requestsPerSecond)} req/s`, true);
  }
  const env = environmentOf(variant, 'woody-api');
  return {
    name: variant.name,
    model: model.kind,
    modelDescription: describeModel(model, context.staticRateLimit),
    connections: concurrencyOf(model),
    replicas: Math.max(1, target.replicas.length),
    woodyReplicas,
    movieReplicas,
    cache: variant.cache ?? (env.CACHE_ENABLED === 'false' ? 'off' : 'on'),
    heavyMode: env.HEAVY_MODE,
    target: variant.target,
    group: variant.group,
    interrupted: repeats.length < scenario.repeats || undefined,
    repeats,
  };
}

async function measureScenario(
  context: RunContext,
  scenario: Scenario,
  common: Pick<ScenarioResult, 'quick' | 'ceiling' | 'fingerprint'>,
): Promise<ScenarioResult> {
  const bar = new SingleBar(
    { format: `${scenario.name.padEnd(9)} [{bar}] {value}/{total} {variant}`, stream: process.stderr },
    undefined,
  );
  bar.start(scenario.variants.length * (scenario.repeats + 1), 0, { variant: '' });
  const variants: VariantResult[] = [];
  try {
    for (const variant of scenario.variants) {
      if (context.signal?.aborted) break;
      variants.push(
        await measureVariant(context, scenario, variant, (status, done) =>
          done ? bar.increment(1, { variant: status }) : bar.update({ variant: status }),
        ),
      );
    }
  } finally {
    bar.stop();
  }
  return {
    schemaVersion: 2,
    runner: 'node',
    scenario: scenario.name,
    title: scenario.title,
    expectation: scenario.expectation,
    model: describeModel(scenario.model, context.staticRateLimit),
    sections: [...(scenario.sections ?? [])],
    ...common,
    variants,
  };
}

/** The main job's measuring part: the ceiling, then every scenario, every variant, on one stack. */
export async function runScenarios(options: RunOptions): Promise<ScenarioResult[]> {
  const startedAt = new Date();
  const publish = options.publish ?? (() => undefined);
  publish({
    type: 'run-started',
    target: options.target ?? 'local',
    quick: options.quick,
    scenarios: options.scenarios.map((scenario) => scenario.name),
  });
  // The lab's 300 kB/s per connection on static files; quick runs use 4 MB/s so the 6 MB image takes 1.5 s, not 20.
  const staticRateLimit = options.quick ? '4m' : '300k';
  const references = await startReferenceServers({ log: options.log });
  let stack: BenchStack | undefined;
  let woodyCache: Cache | undefined;
  const results: ScenarioResult[] = [];
  try {
    options.log('measuring the generator ceiling (bare Node server, nginx return 200)');
    const ceiling = await measureCeiling(references, options.quick);
    stack = await startBenchStack(options.target ?? 'local', {
      woodyEnv: DEFAULT_WOODY_ENV,
      staticRateLimit,
      log: options.log,
    });
    woodyCache = createCache({ redisUrl: stack.redisUrl, namespace: 'woody' });
    const context: RunContext = {
      stack,
      references,
      woodyCache,
      staticRateLimit,
      signal: options.signal,
      applied: new Map(),
      counter: { n: 0 },
      publish,
    };
    await mkdir(options.resultsDir, { recursive: true });
    const print: Fingerprint = await fingerprint(stack.mode, startedAt, await stack.versions());
    for (const definition of options.scenarios) {
      if (options.signal?.aborted) break;
      const result = await measureScenario(context, forRun(definition, options.quick), {
        quick: options.quick,
        ceiling,
        fingerprint: print,
      });
      await writeFile(join(options.resultsDir, `${result.scenario}.json`), JSON.stringify(result, null, 2));
      results.push(result);
    }
  } finally {
    await woodyCache?.close();
    await stack?.stop();
    await references.stop();
  }
  return results;
}
