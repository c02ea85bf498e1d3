import { fileURLToPath } from 'node:url';
import { loadConfig } from '@scale-lab/service';
import { createTestDatabase, spawnService, testLogStream } from '@scale-lab/testing';
import { afterAll, expect, inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { movieConfigSchema } from '../src/config.js';

export type Env = Record<string, string>;

export async function newDatabase(): Promise<string> {
  return createTestDatabase(inject('mysqlUrl'), 'movie');
}

/** A movie-api on the given (or a fresh) database, logging to a file (printed if a test fails); closed after the file's tests. */
export async function buildTestApp(env: Env = {}) {
  const config = loadConfig(movieConfigSchema, {
    LOG_LEVEL: 'warn',
    MYSQL_URL: env.MYSQL_URL ?? (await newDatabase()),
    ...env,
  });
  const app = await buildApp(config, {
    logger: { level: config.LOG_LEVEL, stream: testLogStream('movie-api') },
  });
  afterAll(() => app.close());
  await app.ready();
  await app.databaseReady;
  if (env.REDIS_URL === inject('redisUrl') && env.CACHE_ENABLED !== 'false')
    await expect.poll(() => app.cache.connected, { timeout: 5000 }).toBe(true);
  return app;
}

const mainEntry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const spawnMovie = (env: Env) => spawnService(mainEntry, env);
