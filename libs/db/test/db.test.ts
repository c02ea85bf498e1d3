import { startMariaDb } from '@scale-lab/local-services';
import { servicePlugin } from '@scale-lab/service';
import { createTestDatabase } from '@scale-lab/testing';
import Fastify from 'fastify';
import { describe, expect, inject, it } from 'vitest';
import {
  createDatabasePool,
  databasePlugin,
  DatabaseTimeoutError,
  runMigrations,
  withDatabase,
  type Migration,
} from '../src/index.js';

const migrations: Migration[] = [
  {
    name: 'widget table',
    sql: 'CREATE TABLE IF NOT EXISTS widget (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE)',
  },
  { name: 'seed', sql: "INSERT IGNORE INTO widget (name) VALUES ('first')" },
];

describe('migrations', () => {
  it('can run many times, concurrently, without duplicating seed rows', async () => {
    const url = await createTestDatabase(inject('mysqlUrl'), 'db_migrations');
    const pools = [1, 2, 3].map(() => createDatabasePool({ url, poolSize: 2, timeoutMs: 3000 }));
    await Promise.all(pools.map((pool) => runMigrations(pool, migrations)));
    await runMigrations(pools[0]!, migrations);
    const [rows] = await pools[0]!.query('SELECT name FROM widget');
    expect(rows).toEqual([{ name: 'first' }]);
    await Promise.all(pools.map((pool) => pool.end()));
  });
});

describe('createDatabasePool', () => {
  it('rejects a URL that is not mysql://', () => {
    expect(() => createDatabasePool({ url: 'postgres://x@y/z', poolSize: 1, timeoutMs: 100 })).toThrow(
      /mysql:\/\//,
    );
  });

  it('uses a password given apart from the URL (Docker secret files)', async () => {
    const url = new URL(await createTestDatabase(inject('mysqlUrl'), 'db_password'));
    const password = decodeURIComponent(url.password);
    url.password = 'wrong';
    const pool = createDatabasePool({ url: url.toString(), password, poolSize: 1, timeoutMs: 3000 });
    const [rows] = await pool.query('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});

describe('bounded database calls', () => {
  const timeoutMs = 300;

  it('answers a statement past its bound with a 503 and frees its connection at once', async () => {
    const url = await createTestDatabase(inject('mysqlUrl'), 'db_query_timeout');
    const pool = createDatabasePool({ url, poolSize: 1, timeoutMs });
    try {
      const started = performance.now();
      const error = await pool.query('SELECT SLEEP(5)').catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(DatabaseTimeoutError);
      expect(error).toMatchObject({ statusCode: 503, message: 'database did not answer within 300 ms' });
      expect(elapsed).toBeLessThan(2 * timeoutMs + 1000);
      // mysql2's own `timeout` would keep the only connection busy until SLEEP(5) ends.
      const next = performance.now();
      expect((await pool.execute('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
      expect(performance.now() - next).toBeLessThan(2500);
    } finally {
      await pool.end();
    }
  });

  it('lets a statement set a longer bound of its own', async () => {
    const url = await createTestDatabase(inject('mysqlUrl'), 'db_own_timeout');
    const pool = createDatabasePool({ url, poolSize: 1, timeoutMs });
    try {
      const [rows] = await pool.query({ sql: 'SELECT SLEEP(0.6) AS slept', timeout: 10_000 });
      expect(rows).toEqual([{ slept: 0 }]);
      const connection = await pool.getConnection();
      try {
        await expect(connection.query('SELECT SLEEP(5)')).rejects.toBeInstanceOf(DatabaseTimeoutError);
      } finally {
        connection.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('bounds the wait for a connection, and one that comes after its caller gave up goes back to the pool', async () => {
    const url = await createTestDatabase(inject('mysqlUrl'), 'db_acquire_timeout');
    const pool = createDatabasePool({ url, poolSize: 1, timeoutMs });
    try {
      const held = await pool.getConnection();
      const started = performance.now();
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({
        statusCode: 503,
        message: 'no database connection within 300 ms',
      });
      await expect(pool.getConnection()).rejects.toBeInstanceOf(DatabaseTimeoutError);
      expect(performance.now() - started).toBeLessThan(2 * (2 * timeoutMs) + 1000);
      // Both waiters gave up but are still queued in mysql2's pool: each gets the connection and must hand it on.
      held.release();
      expect((await pool.query('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
      const again = await pool.getConnection();
      again.release();
      expect((await pool.execute('SELECT 2 AS two'))[0]).toEqual([{ two: 2 }]);
    } finally {
      await pool.end();
    }
  });
});

describe('database down and back', () => {
  it('answers 503 quickly while the database is gone and recovers without a restart', async () => {
    const mariadb = await startMariaDb();
    try {
      const url = await mariadb.createDatabase('recovery');
      const app = Fastify();
      await app.register(servicePlugin, { service: 'test', instanceId: 't', collectDefaultMetrics: false });
      await app.register(databasePlugin, { url, poolSize: 2, timeoutMs: 1000, migrations });
      app.get('/widgets', async () =>
        withDatabase(async () => (await app.db.query('SELECT name FROM widget'))[0]),
      );
      await app.databaseReady;
      expect((await app.inject({ url: '/widgets' })).json()).toEqual([{ name: 'first' }]);

      await mariadb.kill();
      const started = Date.now();
      const down = await app.inject({ url: '/widgets' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringContaining('database unavailable'),
      });
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);

      await mariadb.restart();
      await expect
        .poll(async () => (await app.inject({ url: '/widgets' })).statusCode, { timeout: 15_000 })
        .toBe(200);
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      await app.close();
    } finally {
      await mariadb.stop();
    }
  });

  it('answers 503 within its bound while the database is frozen, and is ready again soon after it thaws', async () => {
    const mariadb = await startMariaDb();
    try {
      const url = await mariadb.createDatabase('frozen');
      const app = Fastify({ logger: false });
      await app.register(servicePlugin, { service: 'test', instanceId: 't', collectDefaultMetrics: false });
      // One connection: the one frozen mid-query must not keep the pool, or readiness, stuck.
      await app.register(databasePlugin, { url, poolSize: 1, timeoutMs: 300, migrations });
      app.get('/widgets', async () =>
        withDatabase(async () => (await app.db.query('SELECT name FROM widget'))[0]),
      );
      await app.databaseReady;
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);

      await mariadb.freeze();
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const started = performance.now();
          const response = await app.inject({ url: '/widgets' });
          expect(performance.now() - started).toBeLessThan(2 * 300 + 1000);
          expect(response.statusCode).toBe(503);
          expect(response.headers['retry-after']).toBe('1');
          expect(response.json()).toMatchObject({ statusCode: 503, code: 'DATABASE_TIMEOUT' });
        }
        expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);
        expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      } finally {
        mariadb.thaw();
      }
      await expect
        .poll(async () => (await app.inject({ url: '/health/ready' })).statusCode, { timeout: 5000 })
        .toBe(200);
      expect((await app.inject({ url: '/widgets' })).json()).toEqual([{ name: 'first' }]);
      await app.close();
    } finally {
      mariadb.thaw();
      await mariadb.stop();
    }
  });

  it('starts before the database exists and becomes ready when it appears', async () => {
    const mariadb = await startMariaDb();
    const url = await mariadb.createDatabase('late');
    await mariadb.kill();
    try {
      const app = Fastify({ logger: false });
      await app.register(servicePlugin, { service: 'test', instanceId: 't', collectDefaultMetrics: false });
      await app.register(databasePlugin, { url, poolSize: 2, timeoutMs: 500, migrations });
      await app.ready();
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);
      await mariadb.restart();
      await app.databaseReady;
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      await app.close();
    } finally {
      await mariadb.stop();
    }
  });
});
