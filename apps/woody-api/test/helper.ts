import { fileURLToPath } from 'node:url';
import { loadConfig } from '@scale-lab/service';
import { createTestDatabase, spawnService, testLogStream } from '@scale-lab/testing';
import { afterAll, expect, inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { woodyConfigSchema, type WoodyConfig } from '../src/config.js';

export type Env = Record<string, string>;

export function testConfig(env: Env): WoodyConfig {
  // No write limit unless a test sets one: fuzzing and concurrency tests write hundreds of rows a minute.
  return loadConfig(woodyConfigSchema, {
    LOG_LEVEL: 'warn',
    DB_SLOW_MS: '300',
    HEAVY_MS: '50',
    WRITE_RATE_LIMIT: '0',
    ...env,
  });
}

/** A fresh app on a fresh database, logging to a file (printed if a test fails); closed after the file's tests. */
export async function buildTestApp(env: Env = {}) {
  const mysqlUrl = env.MYSQL_URL ?? (await createTestDatabase(inject('mysqlUrl'), 'woody'));
  const config = testConfig({ ...env, MYSQL_URL: mysqlUrl });
  const app = await buildApp(config, {
    logger: { level: config.LOG_LEVEL, stream: testLogStream('woody-api') },
  });
  afterAll(() => app.close());
  await app.ready();
  await app.databaseReady;
  // Redis connects in the background (the app serves without it); tests that use it want it connected.
  if (env.REDIS_URL === inject('redisUrl') && env.CACHE_ENABLED !== 'false')
    await expect.poll(() => app.cache.connected, { timeout: 5000 }).toBe(true);
  return app;
}

const mainEntry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** woody-api's real entry point as its own process. */
export const spawnWoody = (env: Env) => spawnService(mainEntry, env);
