import type { Pool } from 'mysql2/promise';

/** One idempotent schema step: safe to run at every start-up, by every replica, concurrently. */
export interface Migration {
  name: string;
  sql: string;
}

const LOCK_WAIT_S = 30;
/** Schema changes may take longer than a request's query: their own bounds (the pool's default is short). */
const LOCK_TIMEOUT_MS = (LOCK_WAIT_S + 5) * 1000;
const MIGRATION_TIMEOUT_MS = 60_000;

export async function runMigrations(pool: Pool, migrations: readonly Migration[]): Promise<void> {
  const connection = await pool.getConnection();
  try {
    // Replicas start together: serialize their migrations on a named lock instead of racing on DDL.
    await connection.query({
      sql: `SELECT GET_LOCK('scale_lab_migrations', ${LOCK_WAIT_S})`,
      timeout: LOCK_TIMEOUT_MS,
    });
    try {
      for (const migration of migrations)
        await connection.query({ sql: migration.sql, timeout: MIGRATION_TIMEOUT_MS });
    } finally {
      await connection.query("SELECT RELEASE_LOCK('scale_lab_migrations')");
    }
  } finally {
    connection.release();
  }
}
