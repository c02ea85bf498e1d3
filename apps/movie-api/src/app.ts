import { cachePlugin } from '@scale-lab/cache';
import { databasePlugin } from '@scale-lab/db';
import { openApiPlugin, resolveInstanceId, serverOptions, servicePlugin } from '@scale-lab/service';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { MovieConfig } from './config.js';
import { movieMigrations } from './migrations.js';
import { moviesPlugin } from './plugins/movies.js';
import { movieWorkPlugin } from './plugins/work.js';
import { helpPlugin } from './routes/help.js';
import { movieRoutes } from './routes/movies.js';

/** The Movie service of the nginx load-balancer tutorial, on a database shared by every replica. */
export async function buildApp(config: MovieConfig, overrides: FastifyServerOptions = {}) {
  const instanceId = resolveInstanceId(config.INSTANCE_ID);
  const app = Fastify({
    ...serverOptions({ logLevel: config.LOG_LEVEL }),
    ...overrides,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(openApiPlugin, {
    title: 'Movie service',
    description: 'The Movie service of the nginx load-balancer tutorial, backed by MariaDB/MySQL',
    version: '0.1.0',
  });
  await app.register(helpPlugin);
  await app.register(servicePlugin, { service: 'movie-api', instanceId });
  await app.register(cachePlugin, {
    redisUrl: config.REDIS_URL,
    enabled: config.CACHE_ENABLED,
    namespace: config.CACHE_NAMESPACE,
    registry: app.metrics,
  });
  await app.register(databasePlugin, {
    url: config.MYSQL_URL,
    password: config.mysqlPassword,
    poolSize: config.DB_POOL_SIZE,
    timeoutMs: config.DB_TIMEOUT_MS,
    migrations: movieMigrations,
  });
  await app.register(moviesPlugin, { cacheTtlMs: config.CACHE_TTL_MS });
  // One scope for the tutorial's routes, so the work hook costs them and nothing else (health, metrics, docs).
  await app.register(async (api) => {
    if (config.MOVIE_WORK_MS > 0) {
      await api.register(movieWorkPlugin, {
        workMs: config.MOVIE_WORK_MS,
        concurrency: config.MOVIE_WORK_CONCURRENCY,
        queueMax: config.MOVIE_WORK_QUEUE_MAX,
      });
    }
    await api.register(movieRoutes);
  });
  return app;
}
