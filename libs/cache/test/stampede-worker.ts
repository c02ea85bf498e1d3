// One "replica" for the cross-process stampede test: waits for a shared start instant, then fires
// CALLS concurrent requests for one cold key; the producer counts its runs in Redis.
// CROSS_REPLICA_LOCK=false turns the cross-replica lock off (the stampede demonstration).
import { Redis } from 'ioredis';
import { createCache } from '../src/index.js';

const { REDIS_URL, NAMESPACE, KEY, CALLS, START_AT, PRODUCER_MS, COUNTER, STALE, CROSS_REPLICA_LOCK } =
  process.env as Record<string, string>;
const counter = new Redis(REDIS_URL!);
const cache = createCache({
  redisUrl: REDIS_URL,
  namespace: NAMESPACE!,
  lockWait: '20s',
  crossReplicaLock: CROSS_REPLICA_LOCK !== 'false',
});
const options = STALE ? { ttl: 1000, jitter: 0, staleWhileRevalidate: '30s' } : { ttl: '60s' };

// Connected before the start instant, so every call really goes through Redis.
while (!(await cache.fetch(`probe-${process.pid}`, async () => 1, { ttl: 1000 })).status.match(/hit|miss/)) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await new Promise((resolve) => setTimeout(resolve, Number(START_AT) - Date.now()));
const started = performance.now();
const outcomes = await Promise.all(
  Array.from({ length: Number(CALLS) }, () =>
    cache.fetch(
      KEY!,
      async () => {
        await counter.incr(COUNTER!);
        await new Promise((resolve) => setTimeout(resolve, Number(PRODUCER_MS)));
        return { producedBy: process.pid };
      },
      options,
    ),
  ),
);
const finishedMs = performance.now() - started;
process.stdout.write(
  JSON.stringify({
    statuses: outcomes.map((o) => o.status),
    values: outcomes.map((o) => o.value),
    finishedMs,
  }),
);
await cache.close();
counter.disconnect();
