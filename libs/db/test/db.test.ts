import { startMariaDb } from '@scale-lab/local-services';
import { servicePlugin } from '@scale-lab/service';
import { createTestDatabase } from '@scale-lab/testing';
import Fastify from 'fastify';
import { describe, expect, inject, it } from 'vitest';
import {
  createDatabasePool,
  databasePlugin,
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
