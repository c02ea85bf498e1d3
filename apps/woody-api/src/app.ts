import { cachePlugin } from '@scale-lab/cache';
import { databasePlugin } from '@scale-lab/db';
import { openApiPlugin, resolveInstanceId, serverOptions, servicePlugin } from '@scale-lab/service';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { WoodyConfig } from './config.js';
import { woodyMigrations } from './migrations.js';
import { heavyPlugin } from './plugins/heavy.js';
import { loadSheddingPlugin } from './plugins/load-shedding.js';
import { ordersPlugin } from './plugins/orders.js';
import { productsPlugin } from './plugins/products.js';
import { writeRateLimitPlugin } from './plugins/write-rate-limit.js';
import { miscRoutes } from './routes/misc.js';
import { orderRoutes } from './routes/orders.js';
import { productRoutes } from './routes/products.js';

/** The Woodytoys API as a Fastify instance, ready to inject() or listen(). */
export async function buildApp(config: WoodyConfig, overrides: FastifyServerOptions = {}) {
  const instanceId = resolveInstanceId(config.INSTANCE_ID);
  const app = Fastify({
    ...serverOptions({ logLevel: config.LOG_LEVEL }),
    // The lab's page calls /api/orders/?order_id=: the same route with or without the trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
    ...overrides,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(openApiPlugin, {
    title: 'Woodytoys API',
    description: 'The Woodytoys lab API: legacy plain-text GET routes plus REST forms answering JSON',
    version: '0.1.0',
  });
  await app.register(servicePlugin, { service: 'woody-api', instanceId });
  await app.register(cachePlugin, {
    redisUrl: config.REDIS_URL,
    enabled: config.CACHE_ENABLED,
    crossReplicaLock: config.CACHE_CROSS_REPLICA_LOCK,
    namespace: config.CACHE_NAMESPACE,
    registry: app.metrics,
  });
  await app.register(databasePlugin, {
    url: config.MYSQL_URL,
    password: config.mysqlPassword,
    poolSize: config.DB_POOL_SIZE,
    timeoutMs: config.DB_TIMEOUT_MS,
    migrations: woodyMigrations,
  });
  await app.register(loadSheddingPlugin, { maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS });
  await app.register(heavyPlugin, {
    mode: config.HEAVY_MODE,
    durationMs: config.HEAVY_MS,
    concurrency: config.HEAVY_CONCURRENCY,
    cpuIterations: config.HEAVY_CPU_ITERATIONS,
    queueMax: config.HEAVY_QUEUE_MAX,
  });
  await app.register(productsPlugin, {
    slowMs: config.DB_SLOW_MS,
    timeoutMs: config.DB_TIMEOUT_MS,
    summaryTtlMs: config.CACHE_LAST_TTL_MS,
  });
  await app.register(ordersPlugin, {
    instanceId,
    leaseMs: config.ORDER_LEASE_MS,
    recoveryIntervalMs: config.ORDER_RECOVERY_INTERVAL_MS,
  });

  await app.register(writeRateLimitPlugin, { perMinute: config.WRITE_RATE_LIMIT });
  await app.register(miscRoutes, { heavyTtlMs: config.CACHE_HEAVY_TTL_MS });
  await app.register(productRoutes);
  await app.register(orderRoutes);
  return app;
}
