import {
  fail,
  NO_INSTANCE_HEADER,
  pass,
  skip,
  type Check,
  type CheckContext,
  type Target,
} from '../check.js';
import { concurrently, describeOutcome, ok, type Outcome } from '../http.js';
import { sheet } from '../sheet-names.js';

const ROUND = 60;
const MAX_ROUNDS = 4;
/** The busiest replica may answer at most this many times more often than the idlest. */
const MAX_IMBALANCE = 3;

/** Requests per X-Instance, busiest first. */
export function countByInstance(outcomes: readonly Outcome[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    if (ok(outcome) && outcome.instance)
      counts.set(outcome.instance, (counts.get(outcome.instance) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1]));
}

/**
 * Concurrent rounds of a cheap request until `expected` replicas answered or the rounds run out: the
 * instances seen and how often, or why not (requests that failed, no X-Instance at all).
 */
export async function sampleInstances(context: CheckContext, target: Target, expected: number) {
  const url = `${target.base(context)}${target.cheapPath}`;
  const outcomes: Outcome[] = [];
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    outcomes.push(...(await concurrently(ROUND, () => url)).outcomes);
    if (countByInstance(outcomes).size >= expected || outcomes.some((outcome) => !ok(outcome))) break;
    if (!outcomes.some((outcome) => ok(outcome) && outcome.instance)) break;
  }
  return { url, outcomes, counts: countByInstance(outcomes), failed: outcomes.filter((o) => !ok(o)) };
}

export function replicasCheck(target: Target): Check {
  return {
    id: `${target.service}-replicas`,
    name:
      target.service === 'woody-api'
        ? 'replicas behind the proxy'
        : 'movie replicas behind the load balancer',
    timeoutMs: 60_000,
    async run(context) {
      const expected = context.replicas;
      context.progress(`${ROUND} concurrent requests to ${target.base(context)}${target.cheapPath}`);
      const { url, outcomes, counts, failed } = await sampleInstances(context, target, expected);
      const shares = [...counts.values()];
      const data = {
        url,
        requests: outcomes.length,
        failed: failed.length,
        perInstance: Object.fromEntries(counts),
      };
      if (failed.length > 0) {
        return fail(
          `${failed.length}/${outcomes.length} requests failed (first: ${describeOutcome(failed[0]!)})`,
          `the proxy's log and the replicas' logs: every request to ${url} should answer 200`,
          data,
        );
      }
      if (counts.size === 0) return skip(NO_INSTANCE_HEADER, data);
      const imbalance = Math.max(...shares) / Math.min(...shares);
      const spread = `${shares.join('/')}, max/min ${imbalance.toFixed(1)}`;
      const evidence = `${counts.size} distinct X-Instance over ${outcomes.length} concurrent requests (${spread})`;
      if (counts.size < expected) {
        return fail(
          `${counts.size} distinct X-Instance, the lab wants ${expected} — ${evidence}`,
          `the number of ${target.service} replicas (scale it to ${expected}) and the proxy's upstream list: ` +
            `does it name every replica? (${sheet(context.lab)})`,
          data,
        );
      }
      if (imbalance > MAX_IMBALANCE) {
        return fail(
          `unfair spread — ${evidence}`,
          `the proxy's balancing (least_conn / round robin) and weights; a replica that just failed or ` +
            `restarted is set aside for the proxy's fail_timeout: run the check again a few seconds later ` +
            `(${sheet(context.lab)})`,
          data,
        );
      }
      return pass(evidence, data);
    },
  };
}
