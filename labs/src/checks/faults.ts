import { setTimeout as sleep } from 'node:timers/promises';
import { fail, NO_INSTANCE_HEADER, pass, skip, WOODY, type Check, type CheckContext } from '../check.js';
import { call, concurrently, describeOutcome, freshName, millis, ok, seconds } from '../http.js';
import { controlApi, findKiller, isThisMachine } from '../faults.js';
import { sheet } from '../sheet-names.js';
import { RequestStream } from '../stream.js';
import { sampleInstances } from './replicas.js';

/** How long the stream of cheap requests runs after the kill. */
const STREAM_MS = 3000;
/** Time for the heavy requests to reach their replicas before one of them is killed. */
const IN_FLIGHT_MS = 250;

/** Why faults may not run here, or undefined when they may. */
async function faultsRefused(context: CheckContext): Promise<string | undefined> {
  if (!context.allowFaults) return 'needs --allow-faults (it kills a replica or freezes a dependency)';
  if (!(await isThisMachine(context.site)))
    return `faults only against this machine (${context.site} is not)`;
  return undefined;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function replicaKillCheck(): Check {
  return {
    id: 'replica-kill',
    name: 'requests survive a replica kill',
    timeoutMs: 120_000,
    async run(context) {
      const refused = await faultsRefused(context);
      if (refused) return skip(refused);
      const { counts } = await sampleInstances(context, WOODY, context.replicas);
      const victim = [...counts.keys()][0];
      if (!victim) return skip(NO_INSTANCE_HEADER);
      const killer = await findKiller(context.control, victim);
      if ('reason' in killer) return skip(`cannot kill a replica here: ${killer.reason}`);
      if (counts.size < 2) {
        return fail(
          `only ${victim} answers: killing it leaves nothing to serve`,
          `scale to ${context.replicas} replicas`,
        );
      }
      const heavyCount = 2 * context.replicas;
      context.progress(`${heavyCount} heavy requests in flight, then killing ${victim} (${killer.how})`);
      const heavy = concurrently(
        heavyCount,
        () => `${context.site}/api/misc/heavy?name=${freshName('kill')}`,
        {
          timeoutMs: 60_000,
        },
      );
      await sleep(IN_FLIGHT_MS);
      const stream = new RequestStream(`${context.site}/api/misc/time`, 4);
      const refusedKill = await killer.kill(victim).catch((error: Error) => error.message);
      if (refusedKill) {
        await Promise.all([stream.stop(), heavy]);
        return skip(`could not kill ${victim}: ${refusedKill}`);
      }
      await sleep(STREAM_MS);
      await stream.stop();
      const { outcomes } = await heavy;
      const heavyOk = outcomes.filter(ok).length;
      const times = stream.samples;
      const timesOk = times.filter((sample) => ok(sample.outcome)).length;
      const data = {
        victim,
        how: killer.how,
        heavy: { ok: heavyOk, total: outcomes.length },
        time: { ok: timesOk, total: times.length },
      };
      const evidence =
        `${victim} killed with ${heavyCount} heavy requests in flight: ${heavyOk}/${outcomes.length} answered 2xx, ` +
        `${timesOk}/${times.length} time requests 2xx`;
      if (heavyOk < outcomes.length || timesOk < times.length) {
        const first = outcomes.find((outcome) => !ok(outcome)) ?? stream.failed[0]!.outcome;
        return fail(
          `${evidence} (first failure: ${describeOutcome(first)})`,
          `the proxy's retries: a GET that a dead replica dropped must go to another one ` +
            `(proxy_next_upstream error / HAProxy retries + option redispatch) (${sheet(context.lab)})`,
          data,
        );
      }
      return pass(evidence, data);
    },
  };
}

/** Redis frozen (SIGSTOP) for 2 s: routes without Redis keep answering fast, cached routes within their timeouts. */
export function redisFreezeCheck(): Check {
  return {
    id: 'redis-freeze',
    name: 'answers while Redis hangs',
    timeoutMs: 60_000,
    async run(context) {
      const refused = await faultsRefused(context);
      if (refused) return skip(refused);
      if (!(await controlApi(context.control)))
        return skip(`freezing Redis needs the local control API (${context.control})`);
      const cachedUrl = `${context.site}/api/misc/heavy?name=${freshName('freeze')}`;
      const primed = await call(cachedUrl);
      if (!ok(primed))
        return fail(`heavy before the freeze: ${describeOutcome(primed)}`, `the replicas' logs`);
      context.progress('freezing Redis for 2 s');
      const stream = new RequestStream(`${context.site}/api/misc/time`, 2);
      const freeze = call(`${context.control}/freeze`, {
        method: 'POST',
        json: { dependency: 'redis', seconds: 2 },
        timeoutMs: 20_000,
      });
      const cached = call(cachedUrl, { timeoutMs: 20_000 });
      const [frozen, cachedAnswer] = await Promise.all([freeze, cached]);
      await stream.stop();
      if (!ok(frozen)) return skip(`POST ${context.control}/freeze answered ${describeOutcome(frozen)}`);
      const times = stream.samples;
      const timesOk = times.filter((sample) => ok(sample.outcome));
      const p99 = percentile(
        times.map((sample) => sample.outcome.ms),
        99,
      );
      const data = {
        time: { ok: timesOk.length, total: times.length, p99Ms: p99 },
        cached: { status: cachedAnswer.status, ms: cachedAnswer.ms },
      };
      const evidence =
        `Redis frozen 2 s: ${timesOk.length}/${times.length} time requests 2xx (p99 ${millis(p99)}), ` +
        `the cached heavy route ${describeOutcome(cachedAnswer)} in ${seconds(cachedAnswer.ms)}`;
      const lookAt = `the cache's timeouts and circuit breaker: a hung Redis must turn into a bypass, not a hung request (${sheet(context.lab)})`;
      if (timesOk.length < times.length || p99 > 1000) return fail(evidence, lookAt, data);
      if (!ok(cachedAnswer) || cachedAnswer.ms > 10_000) return fail(evidence, lookAt, data);
      return pass(evidence, data);
    },
  };
}
