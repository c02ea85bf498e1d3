import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, LoadModel, RequestSpec, Scenario, Variant } from '../scenarios/index.js';
import { runBurst, runClosed, runOpen } from './load.js';
import { measurePageLoad } from './offload.js';
import type { FaultWindow, RepeatResult } from './schema.js';
import { difference, drained, producerRuns, serverCounts } from './server-counts.js';
import type { BenchStack } from './stacks/index.js';
import type { LoadTarget } from './targets.js';

/** The variant's load model and requests, where it overrides the scenario's. */
export const modelOf = (scenario: Scenario, variant: Variant): LoadModel => variant.model ?? scenario.model;
export const requestsOf = (scenario: Scenario, variant: Variant): readonly RequestSpec[] =>
  variant.requests ?? scenario.requests;

export function describeModel(model: LoadModel, staticRateLimit: string): string {
  switch (model.kind) {
    case 'closed':
      return `closed: ${model.connections} connections × ${model.durationSeconds} s`;
    case 'open':
      return `open: ${model.ratePerSecond} req/s × ${model.durationSeconds} s, latency from the intended start`;
    case 'burst':
      return `burst: ${model.requests} requests at once`;
    case 'stampede':
      return `stampede: ${model.requests} requests at once on an empty cache`;
    case 'page':
      return `page load like a browser (6 connections per host), origin limit_rate ${staticRateLimit}`;
  }
}

/** Clients (closed) or requests at once (burst, stampede): how many may be in flight when a run stops. */
export function concurrencyOf(model: LoadModel): number | undefined {
  if (model.kind === 'closed') return model.connections;
  if (model.kind === 'burst' || model.kind === 'stampede') return model.requests;
  return undefined;
}

/** Discarded load: the same model for `seconds` (closed and open), nothing for the one-shot models. */
export async function warmUp(
  model: LoadModel,
  target: LoadTarget,
  requests: readonly RequestSpec[],
  seconds: number,
  counter: { n: number },
) {
  if (model.kind === 'closed') await runClosed(target.baseUrl, requests, model.connections, seconds, counter);
  else if (model.kind === 'open')
    await runOpen(target.baseUrl, requests, model.ratePerSecond, seconds, counter);
  else return;
  await drained(target.replicas);
}

/** Runs the model once against the target. */
async function generate(
  model: LoadModel,
  target: LoadTarget,
  requests: readonly RequestSpec[],
  stack: BenchStack,
  counter: { n: number },
): Promise<RepeatResult> {
  switch (model.kind) {
    case 'closed':
      return runClosed(target.baseUrl, requests, model.connections, model.durationSeconds, counter);
    case 'open':
      return runOpen(target.baseUrl, requests, model.ratePerSecond, model.durationSeconds, counter);
    case 'burst':
      return (await runBurst(target.baseUrl, requests, model.requests, counter)).result;
    case 'stampede': {
      const before = await producerRuns(target.replicas);
      const { result, firstAnswerMs, lastAnswerMs } = await runBurst(
        target.baseUrl,
        requests,
        model.requests,
        counter,
      );
      const runs = (await producerRuns(target.replicas)) - before;
      return { ...result, stampede: { firstAnswerMs, lastAnswerMs, producerRuns: runs } };
    }
    case 'page':
      return measurePageLoad(`${target.baseUrl}${model.path}`, stack.countOrigin);
  }
}

/**
 * One measured repeat, with the conservation check's count: what the replicas' /metrics counted over the
 * same window (page loads hit nginx's files, and reference servers have no /metrics).
 */
export async function measureRepeat(
  model: LoadModel,
  target: LoadTarget,
  requests: readonly RequestSpec[],
  stack: BenchStack,
  counter: { n: number },
): Promise<RepeatResult> {
  const counted = model.kind !== 'page' && target.replicas.length > 0;
  const before = counted ? await serverCounts(target.replicas) : {};
  const repeat = await generate(model, target, requests, stack, counter);
  if (counted) {
    await drained(target.replicas);
    repeat.serverCounted = difference(await serverCounts(target.replicas), before);
  }
  return repeat;
}

/** Injects the fault `atSeconds` after `loadStart`, and says when it started and when it was over. */
async function injectAt(stack: BenchStack, fault: Fault, loadStart: number, loadSeconds: number) {
  await sleep(Math.max(0, loadStart + fault.atSeconds * 1000 - performance.now()));
  const startedAt = performance.now();
  await stack.injectFault(fault);
  const since = (at: number) => (at - loadStart) / 1000;
  const window: FaultWindow = {
    kind: fault.kind,
    startSecond: since(startedAt),
    endSecond: since(performance.now()),
    loadSeconds,
  };
  return window;
}

/**
 * One repeat of a fault experiment: the open model's load, with the fault injected into the stack during
 * it; the result says when (on the repeat's timeline). No conservation count: a killed or replaced replica
 * takes its /metrics counters with it.
 */
export async function measureFaultRepeat(
  model: LoadModel,
  fault: Fault,
  target: LoadTarget,
  requests: readonly RequestSpec[],
  stack: BenchStack,
  counter: { n: number },
): Promise<RepeatResult> {
  if (model.kind !== 'open')
    throw new Error(`a fault needs the open model (a ${model.kind} generator would stall with the stack)`);
  // runOpen starts its timeline before its first await: this clock and the timeline's agree within a
  // millisecond, far below the timeline's one-second steps.
  const loadStart = performance.now();
  const load = runOpen(target.baseUrl, requests, model.ratePerSecond, model.durationSeconds, counter);
  // Both to the end, whatever fails: the load must not go on behind a failed injection.
  const [repeat, window] = await Promise.allSettled([
    load,
    injectAt(stack, fault, loadStart, model.durationSeconds),
  ]);
  if (repeat.status === 'rejected') throw repeat.reason;
  if (window.status === 'rejected') throw window.reason;
  return { ...repeat.value, fault: window.value };
}
