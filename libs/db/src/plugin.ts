import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool } from 'mysql2/promise';
import pRetry from 'p-retry';
import { runMigrations, type Migration } from './migrations.js';
import { createDatabasePool, type DatabaseOptions } from './pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Pool;
    /** Resolves once the schema is in place; the app serves (503 for data routes) until then. */
    databaseReady: Promise<void>;
  }
}

export interface DatabasePluginOptions extends DatabaseOptions {
  migrations: readonly Migration[];
}

/**
 * The MySQL/MariaDB pool as a Fastify decoration. Migrations run in the background with retries, so a
 * replica that starts before the database (as in compose and Swarm) comes up, reports not-ready, and
 * becomes ready by itself when the database appears.
 */
export const databasePlugin = fp<DatabasePluginOptions>(
  async (app: FastifyInstance, options) => {
    const pool = createDatabasePool(options);
    const controller = new AbortController();
    let migrated = false;

    const databaseReady = pRetry(() => runMigrations(pool, options.migrations), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 250,
      maxTimeout: 5000,
      signal: controller.signal,
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (!controller.signal.aborted) {
          app.log.warn(
            { attempt: attemptNumber, err: error.message },
            'database not ready yet, retrying migrations',
          );
        }
      },
    }).then(() => {
      migrated = true;
      app.log.info('database schema ready');
    });
    // Shutting down before the database ever came up is not an error worth an unhandled rejection.
    databaseReady.catch(() => undefined);

    app.decorate('db', pool);
    app.decorate('databaseReady', databaseReady);
    app.addReadinessCheck('database', async () => {
      if (!migrated) throw new Error('schema not migrated yet');
      // Bounded like every call of the pool (timeoutMs): a frozen connection is destroyed, not kept.
      await pool.query('SELECT 1');
    });
    app.addHook('onClose', async () => {
      controller.abort();
      await pool.end();
    });
  },
  { name: 'scale-lab-database', dependencies: ['scale-lab-health'] },
);
