// Benchmark (not a test): what the cache buys on a route and what the library costs over a bare GET.
// Run: npm run bench (in libs/cache). Needs redis-server; prints figures, asserts nothing.
import { cpus } from 'node:os';
import { startRedis } from '@scale-lab/local-services';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createCache, setCacheHeaders } from '../src/index.js';

const PRODUCER_MS = Number(process.env.BENCH_PRODUCER_MS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LOOP = Number(process.env.BENCH_LOOP ?? 20_000);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

async function routeThroughput(redisUrl: string, enabled: boolean) {
  const cache = createCache({
    redisUrl,
    enabled,
    namespace: `bench-${enabled ? 'on' : 'off'}-${Date.now()}`,
  });
  const app = Fastify();
  const slowLookup = cache.wrap(
    async (id: string) => {
      await new Promise((resolve) => setTimeout(resolve, PRODUCER_MS)); // a slow query, say
      return { id, name: `product ${id}`, tags: ['wood', 'toy'] };
    },
    { name: 'product', ttl: '10m' },
  );
  app.get('/product/:id', async (request, reply) => {
    const outcome = await slowLookup.fetch((request.params as { id: string }).id);
    setCacheHeaders(reply, outcome);
    return outcome.value;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  while (enabled && !cache.connected) await new Promise((resolve) => setTimeout(resolve, 10));
  await fetch(`http://127.0.0.1:${port}/product/1`); // warm: the measured requests are hits
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/product/1`,
    connections: 20,
    duration: SECONDS,
  });
  await app.close();
  await cache.close();
  return result;
}

async function libraryOverhead(redisUrl: string) {
  const cache = createCache({ redisUrl, namespace: `overhead-${Date.now()}` });
  while (!cache.connected) await new Promise((resolve) => setTimeout(resolve, 10));
  const bare = new Redis(redisUrl);
  const value = { id: 1, name: 'Yoyo', tags: ['wood', 'toy'], price: 12.5 };
  await cache.getOrSet('k', async () => value, { ttl: '10m' });
  await bare.set('bare-k', JSON.stringify(value));
  const time = async (operation: () => Promise<unknown>) => {
    for (let i = 0; i < 1000; i++) await operation(); // warm-up, discarded
    const samples: number[] = [];
    for (let i = 0; i < LOOP; i++) {
      const started = performance.now();
      await operation();
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b);
  };
  const bareSamples = await time(async () => JSON.parse((await bare.get('bare-k'))!));
  const cacheSamples = await time(() => cache.getOrSet('k', async () => value, { ttl: '10m' }));
  bare.disconnect();
  await cache.close();
  return { bareSamples, cacheSamples };
}

const redis = await startRedis();
try {
  console.log(`Scale Lab cache benchmark — ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`);
  console.log(
    `route: GET /product/1, producer ${PRODUCER_MS} ms, autocannon 20 connections × ${SECONDS} s\n`,
  );
  const on = await routeThroughput(redis.url, true);
  const off = await routeThroughput(redis.url, false);
  const row = (label: string, r: autocannon.Result) =>
    `${label.padEnd(22)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   errors ${r.errors + r.non2xx}`;
  console.log(row('cache on (warm hits)', on));
  console.log(row('cache off (bypass)', off));
  console.log(`speed-up: ${(on.requests.average / off.requests.average).toFixed(1)}× throughput\n`);

  const { bareSamples, cacheSamples } = await libraryOverhead(redis.url);
  console.log(`hit path, ${LOOP} sequential calls after 1000 warm-up calls:`);
  console.log(
    `  bare ioredis GET + JSON.parse   p50 ${fmt(percentile(bareSamples, 50))}   p99 ${fmt(percentile(bareSamples, 99))}`,
  );
  console.log(
    `  cache.getOrSet (hit)            p50 ${fmt(percentile(cacheSamples, 50))}   p99 ${fmt(percentile(cacheSamples, 99))}`,
  );
  console.log(
    `  library overhead                p50 ${fmt(percentile(cacheSamples, 50) - percentile(bareSamples, 50))}   (target ≤ 0.050 ms)`,
  );
} finally {
  await redis.stop();
}
