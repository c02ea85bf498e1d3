import { freePort, startMariaDb } from '@scale-lab/local-services';
import { waitForReady } from '@scale-lab/testing';
import { describe, expect, it } from 'vitest';
import { buildTestApp, newDatabase, spawnMovie } from './helper.js';

describe('movie-api as a process', () => {
  it.each([
    [{ MYSQL_URL: 'postgres://x@y/z' }, 'MYSQL_URL'],
    [{ MYSQL_URL: 'mysql://x@127.0.0.1/db', DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
    [{ MYSQL_URL: 'mysql://x@127.0.0.1/db', CACHE_ENABLED: 'perhaps' }, 'CACHE_ENABLED'],
  ])('refuses a bad config (%o) naming %s, without a stack trace', async (env, variable) => {
    const child = spawnMovie(env);
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(new RegExp(`^movie-api: .*${variable}`));
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('reads the database password from MYSQL_PASSWORD_FILE and shuts down gracefully', async () => {
    const database = new URL(await newDatabase());
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const secretDir = await mkdtemp('/tmp/movie-secret-');
    await writeFile(`${secretDir}/password`, `${decodeURIComponent(database.password)}\n`);
    database.password = 'not-the-password';
    const port = await freePort();
    const child = spawnMovie({
      MYSQL_URL: database.toString(),
      MYSQL_PASSWORD_FILE: `${secretDir}/password`,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForReady(child, url);
    const response = await fetch(`${url}/moviesbytitle?title=The%20Good%20Dinosaur`);
    expect(response.status).toBe(200);
    child.signal('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('shut down cleanly');
  });
});

describe('database outage', () => {
  it('answers 503 JSON quickly while the database is down and recovers by itself', async () => {
    const mariadb = await startMariaDb();
    try {
      const app = await buildTestApp({
        MYSQL_URL: await mariadb.createDatabase('movie_outage'),
        DB_TIMEOUT_MS: '1000',
      });
      expect((await app.inject({ url: '/json' })).statusCode).toBe(200);
      await mariadb.kill();
      const started = performance.now();
      const response = await app.inject({ url: '/moviesbytitle?title=The%20Good%20Dinosaur' });
      expect(performance.now() - started).toBeLessThan(3000);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringContaining('database unavailable'),
      });
      await mariadb.restart();
      await expect
        .poll(async () => (await app.inject({ url: '/json' })).statusCode, { timeout: 15_000 })
        .toBe(200);
    } finally {
      await mariadb.stop();
    }
  });
});
