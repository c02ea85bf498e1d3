import { fail, pass, skip, type Check, type CheckContext, type Target } from '../check.js';
import {
  call,
  concurrently,
  describeOutcome,
  freshName,
  millis,
  ok,
  seconds,
  type Outcome,
} from '../http.js';
import { sheet } from '../sheet-names.js';
import { countByInstance } from './replicas.js';

/** Below this, one request costs nothing worth spreading: the lab-1 lesson. */
const TRIVIAL_MS = 5;
/** Enough concurrent requests that the run lasts about this long, for a stable ratio on fast services. */
const TARGET_RUN_MS = 1000;

/** A request that does the service's per-request work, never answered by a cache. */
interface Work {
  label: string;
  url(context: CheckContext, i: number): string;
}

const heavyWork: Work = {
  label: 'heavy',
  // A fresh name per request: a cached result would measure the cache, not the replicas.
  url: (context) => `${context.site}/api/misc/heavy?name=${encodeURIComponent(freshName('heavy'))}`,
};

const movieWork: Work = {
  label: 'moviesbytitle',
  url: (context) => `${context.movie}/moviesbytitle?title=The%20Good%20Dinosaur`,
};

/** One request alone: the fastest of `tries`, so a cold connection or a GC pause does not count. */
export async function timeAlone(
  context: CheckContext,
  work: Work,
  tries: number,
): Promise<{ failed: Outcome } | { ms: number }> {
  let best: Outcome | undefined;
  for (let i = 0; i < tries; i++) {
    const outcome = await call(work.url(context, i));
    if (!ok(outcome)) return { failed: outcome };
    if (!best || outcome.ms < best.ms) best = outcome;
  }
  return { ms: best!.ms };
}

const failedLookAt = (work: Work) =>
  `the replicas' logs: ${work.label} requests should answer 200 (a 503 means a full queue or load shedding)`;

function speedupCheck(target: Target, work: Work, tries: number): Check {
  return {
    id: `${target.service}-speedup`,
    name: `${work.label} speed-up`,
    timeoutMs: 120_000,
    async run(context) {
      context.progress(`timing one ${work.label} request alone`);
      const alone = await timeAlone(context, work, tries);
      if ('failed' in alone) {
        return fail(`one ${work.label} request alone: ${describeOutcome(alone.failed)}`, failedLookAt(work));
      }
      const t1 = alone.ms;
      if (t1 < TRIVIAL_MS) {
        return skip(
          `one request takes ${millis(t1)}: a trivial service gains nothing from a load balancer; ` +
            `start movie-api with --movie-work-ms 20 to see queueing`,
          { t1Ms: t1 },
        );
      }
      const perReplica = Math.min(50, Math.max(2, Math.ceil(TARGET_RUN_MS / t1)));
      const count = perReplica * context.replicas;
      context.progress(`${work.label} × ${count} concurrent (one alone took ${millis(t1)})`);
      const { outcomes, elapsedMs } = await concurrently(count, (i) => work.url(context, i));
      const failed = outcomes.filter((outcome) => !ok(outcome));
      const distinct = countByInstance(outcomes).size || context.replicas;
      const speedup = (count * t1) / elapsedMs;
      const data = {
        t1Ms: t1,
        count,
        elapsedMs,
        speedup,
        distinctInstances: distinct,
        failed: failed.length,
      };
      const evidence =
        `${work.label} × ${count} concurrent: ${seconds(elapsedMs)}, ${speedup.toFixed(1)}× one replica's ` +
        `time per request (one alone: ${millis(t1)}, ${distinct} replica(s) answered)`;
      if (failed.length > 0) {
        return fail(
          `${failed.length}/${count} failed (${describeOutcome(failed[0]!)}) — ${evidence}`,
          failedLookAt(work),
          data,
        );
      }
      const wanted = Math.max(1.5, 0.6 * distinct);
      if (speedup < wanted || speedup <= 1.5) {
        return fail(
          `${evidence}; the lab wants ≥ ${wanted.toFixed(1)}×`,
          `are there ${context.replicas} replicas, and does the proxy spread concurrent requests over them? ` +
            `A replica serves one ${work.label} at a time, so one replica takes count × one request's time ` +
            `(${sheet(context.lab)})`,
          data,
        );
      }
      return pass(evidence, data);
    },
  };
}

export function heavySpeedupCheck(target: Target): Check {
  return speedupCheck(target, heavyWork, 1);
}

export function movieSpeedupCheck(target: Target): Check {
  // Fast answers vary more: the best of a few.
  return speedupCheck(target, movieWork, 5);
}

/** HAProxy's leastconn test from lab 2: N concurrent slow requests, one per replica, all done in ≈ one's time. */
export function leastConnectionsCheck(): Check {
  return {
    id: 'least-connections',
    name: 'least connections',
    timeoutMs: 90_000,
    async run(context) {
      context.progress('timing one heavy request alone');
      const alone = await timeAlone(context, heavyWork, 1);
      if ('failed' in alone) {
        return fail(`one heavy request alone: ${describeOutcome(alone.failed)}`, failedLookAt(heavyWork));
      }
      const t1 = alone.ms;
      const count = context.replicas;
      context.progress(`${count} concurrent heavy requests`);
      const { outcomes, elapsedMs } = await concurrently(count, (i) => heavyWork.url(context, i));
      const failed = outcomes.filter((outcome) => !ok(outcome));
      const counts = countByInstance(outcomes);
      const data = {
        t1Ms: t1,
        count,
        elapsedMs,
        perInstance: Object.fromEntries(counts),
        failed: failed.length,
      };
      if (failed.length > 0) {
        return fail(
          `${failed.length}/${count} failed (${describeOutcome(failed[0]!)})`,
          failedLookAt(heavyWork),
          data,
        );
      }
      const evidence =
        `${count} concurrent heavy requests on ${counts.size || '?'} distinct X-Instance, all done in ` +
        `${seconds(elapsedMs)} (${(elapsedMs / t1).toFixed(2)}× one alone: ${seconds(t1)})`;
      const lookAt =
        `the proxy's balancing: with least_conn (nginx) or balance leastconn (HAProxy) each slow request goes ` +
        `to an idle replica (${sheet(context.lab)})`;
      if (counts.size > 0 && counts.size < count)
        return fail(`${evidence}: some replica got two`, lookAt, data);
      if (elapsedMs > 1.5 * t1) return fail(`${evidence}; the lab wants ≤ 1.5×`, lookAt, data);
      return pass(evidence, data);
    },
  };
}
